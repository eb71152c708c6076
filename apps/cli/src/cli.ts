/**
 * The `modelwire` command, loaded by the committed bin `bin/modelwire.js`. `modelwire serve ...` runs the gateway, `modelwire bench ...` the benchmark; each
 * sub-command's package is imported only when it runs, so `serve` never loads bench code and vice versa.
 */
import { runModelwireCli } from "./run.js";

process.exitCode = await runModelwireCli(process.argv.slice(2));
// A finished serve or bench has closed its sockets; do not wait for stray timers.
process.exit();
