/**
 * The short default comparison `turbo bench` runs (`node dist/default-run.js`): every transport on the
 * protocol-overhead preset and the `low` realistic preset, 3 interleaved rounds, a short rate sweep, reports in
 * `reports/` at the repository root. Finishes in about three minutes on two cores.
 */
import { fileURLToPath } from "node:url";
import { runBenchCli } from "./cli.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const extra = process.argv.slice(2);
const code = await runBenchCli([
  "--preset",
  "protocol-overhead,low",
  "--duration",
  "1500ms",
  "--warmup",
  "400ms",
  "--repeats",
  "3",
  "--sweep",
  "--sweep-start",
  "250",
  "--sweep-factor",
  "2",
  "--sweep-steps",
  "6",
  "--sweep-step",
  "800ms",
  "--out",
  `${root}reports`,
  ...extra,
]);
process.exitCode = code;
