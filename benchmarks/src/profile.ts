/**
 * `npm run profile -- --case <name> [--op encode|decode|both] [--seconds 3]`: runs one case under
 * `node --cpu-prof`, writes the profile to `reports/profiles/<case>-<op>.cpuprofile` (open it in Chrome DevTools
 * or speedscope) and prints self time by module group and the top functions.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { table } from "./format.js";
import { frameName, groupOf, readProfile, summarize } from "./profile-summary.js";

const { values } = parseArgs({
  options: {
    case: { type: "string", default: "req-image-256k/mcp" },
    op: { type: "string", default: "both" },
    seconds: { type: "string", default: "3" },
    seed: { type: "string", default: "20251125" },
    top: { type: "string", default: "25" },
    dir: { type: "string", default: resolve(import.meta.dirname, "../../reports/profiles") },
  },
});
if (!["encode", "decode", "both"].includes(values.op))
  throw new Error(`--op must be encode, decode or both, got ${values.op}`);
const seconds = Math.min(60, Math.max(0.2, Number(values.seconds) || 3));
const file = `${values.case.replace(/[^\w.-]+/g, "_")}-${values.op}.cpuprofile`;
mkdirSync(values.dir, { recursive: true });

const child = spawnSync(
  process.execPath,
  [
    "--cpu-prof",
    "--cpu-prof-interval=100",
    `--cpu-prof-dir=${values.dir}`,
    `--cpu-prof-name=${file}`,
    "--import",
    "tsx",
    join(import.meta.dirname, "profile-worker.ts"),
    values.case,
    values.op,
    String(seconds),
    values.seed,
  ],
  { stdio: "inherit", timeout: (seconds + 60) * 1000 },
);
if (child.status !== 0) {
  console.error(`profiled run failed (status ${child.status}, signal ${child.signal})`);
  process.exit(1);
}
const profile = readProfile(join(values.dir, file));
const top = Number(values.top);
const fmt = (rows: ReturnType<typeof summarize>) =>
  rows.map((r) => [r.name, r.selfMs.toFixed(1), `${r.percent.toFixed(1)}%`]);
console.log(`\nprofile: ${join(values.dir, file)}\n`);
console.log(table(["group (self time)", "ms", "share"], fmt(summarize(profile, groupOf))));
console.log(`\n${table(["function (self time)", "ms", "share"], fmt(summarize(profile, frameName).slice(0, top)))}`);
