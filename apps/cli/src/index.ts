/**
 * modelwire: the `modelwire` command (bin `bin/modelwire.js`, which loads `dist/cli.js`) with `serve` and `bench` sub-commands.
 *
 * @packageDocumentation
 */
export { runModelwireCli, topHelp } from "./run.js";
