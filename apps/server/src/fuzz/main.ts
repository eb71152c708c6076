import { parseArgs } from "node:util";
import { intFlag } from "../test-support/int-flag.js";
import { failed, formatResult, runCampaign } from "./campaign.js";

/**
 * `npm run fuzz [-- --inputs N --seconds S --seed N --concurrency N]`: the fault campaign against the built gateway
 * (run `npx turbo run build` first; `npm run fuzz` does). Exits 1 on a crash, a hang or a gateway that stopped serving.
 */
const { values } = parseArgs({
  options: {
    inputs: { type: "string", default: "30000" },
    seconds: { type: "string", default: "60" },
    seed: { type: "string", default: "1" },
    concurrency: { type: "string", default: "16" },
  },
});
const result = await runCampaign({
  inputs: intFlag("inputs", values.inputs, 1),
  seconds: intFlag("seconds", values.seconds, 1),
  seed: intFlag("seed", values.seed, 0),
  concurrency: intFlag("concurrency", values.concurrency, 1),
});
console.log(formatResult(result));
process.exit(failed(result) ? 1 : 0);
