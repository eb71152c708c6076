import { parseArgs } from "node:util";
import { intFlag } from "../test-support/int-flag.js";
import { failed, formatResult, runCampaign, TARGET_NAMES } from "./campaign.js";

/**
 * `npm run fuzz [-- --inputs N --seconds S --seed N --concurrency N --progress-s S]`: the fault campaign against the
 * built gateway (run `npx turbo run build` first; `npm run fuzz` does); `--concurrency` is inputs in flight per
 * parser, `--progress-s` how often a progress line goes to stderr (0: never), `--memory-s` how often the gateway's
 * RSS and V8 heap are recorded for the report, `--targets` a comma-separated subset of the parsers (default all).
 * Exits 1 on a crash, a hang or a gateway that stopped serving.
 */
const { values } = parseArgs({
  options: {
    inputs: { type: "string", default: "30000" },
    seconds: { type: "string", default: "60" },
    seed: { type: "string", default: "1" },
    concurrency: { type: "string", default: "32" },
    "progress-s": { type: "string", default: "10" },
    "memory-s": { type: "string", default: "10" },
    targets: { type: "string", default: TARGET_NAMES.join(",") },
  },
});
const result = await runCampaign({
  inputs: intFlag("inputs", values.inputs, 1),
  seconds: intFlag("seconds", values.seconds, 1),
  seed: intFlag("seed", values.seed, 0),
  concurrency: intFlag("concurrency", values.concurrency, 1),
  progressSeconds: intFlag("progress-s", values["progress-s"], 0),
  memorySampleSeconds: intFlag("memory-s", values["memory-s"], 1),
  targets: values.targets.split(",").map((t) => t.trim()),
  onProgress: (p) =>
    console.error(
      `  t=${p.seconds.toFixed(0)}s inputs ${p.tallies.map((t) => `${t.target} ${t.inputs}`).join(", ")}` +
        ` (total ${p.tallies.reduce((a, t) => a + t.inputs, 0)}) rss ${(p.rssBytes / 2 ** 20).toFixed(1)} MiB heap ${(p.heapUsedBytes / 2 ** 20).toFixed(1)} MiB`,
    ),
});
console.log(formatResult(result));
process.exit(failed(result) ? 1 : 0);
