/**
 * modelwire: the `modelwire` command (bin `dist/cli.js`) with `serve` and `bench` sub-commands.
 *
 * @packageDocumentation
 */
export { runModelwireCli, topHelp } from "./run.js";
