import { parseArgs } from "node:util";
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
const num = (name: string, v: string | undefined, min: number) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    console.error(`--${name} must be an integer >= ${min}, got ${v}`);
    process.exit(2);
  }
  return n;
};
const result = await runCampaign({
  inputs: num("inputs", values.inputs, 1),
  seconds: num("seconds", values.seconds, 1),
  seed: num("seed", values.seed, 0),
  concurrency: num("concurrency", values.concurrency, 1),
});
console.log(formatResult(result));
process.exit(failed(result) ? 1 : 0);
