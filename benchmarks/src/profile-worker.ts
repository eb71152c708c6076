/**
 * Runs one case's encode and/or decode in a loop so `node --cpu-prof` sees nothing else: bounded by time and by
 * count. Started by profile.ts; arguments: `<case name> <encode|decode|both> <seconds> <seed>`.
 */
import { buildCases } from "./cases.js";
import { createFixtures } from "./fixtures.js";
import { verifyRoundTrip } from "./round-trip.js";

const [name, op = "both", secondsArg = "3", seedArg = "20251125"] = process.argv.slice(2);
const seed = Number(seedArg);
const c = buildCases(createFixtures(seed), createFixtures(seed + 1)).find((x) => x.name === name);
if (!c) {
  console.error(`no case named ${name}`);
  process.exit(2);
}
verifyRoundTrip(c);
const wire = c.encode(c.input);
const deadline = performance.now() + Number(secondsArg) * 1000;
const maxOps = 50_000_000;
let ops = 0;
let sink: unknown;
while (ops < maxOps && performance.now() < deadline) {
  for (let i = 0; i < 64; i++) {
    if (op !== "decode") sink = c.encode(c.input);
    if (op !== "encode") sink = c.decode(wire);
  }
  ops += 64;
}
console.log(`${name} ${op}: ${ops} iterations, ${sink === undefined ? "no" : "a"} result`);
