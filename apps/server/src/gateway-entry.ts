#!/usr/bin/env node
/**
 * The gateway's process entry. The build bundles it (scripts/bundle.mjs) into `dist/main.js`, which is what
 * `node apps/server/dist/main.js [serve flags]` runs (the same as `modelwire serve`); `dist/gateway-entry.js` is
 * the unbundled form. Imports only the CLI module; the engine, prom-client and protocol packages load after the
 * options are valid.
 */
import { runServeCli } from "./serve-cli.js";

await runServeCli(process.argv.slice(2));
// Every listener is closed by now; exit without waiting for stray timers (prom-client's event-loop monitor).
process.exit();
