/**
 * `modelwire bench` from the TypeScript sources, as a process of its own (`node --import tsx bench-main.ts ...`):
 * what the bin runs, for tests that need separate load-generator processes without a build.
 */
import { runBenchCli } from "../cli.js";

process.exitCode = await runBenchCli(process.argv.slice(2));
