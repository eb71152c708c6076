/**
 * The synthetic engine's own throughput: whole zero-delay streams drained in-process (no wire), so what is timed is
 * the engine producing its chunks (the script, stop sequences, thinking, the final chunk's context). With `--base
 * DIR` the same tasks also run against the engine built in another checkout (`DIR/packages/engine/dist`), in the
 * same process, each case's base and head back to back, so the two are side by side in one run.
 *
 * Run after a build: `npm run perf -w @modelwire/engine [-- --base /path/to/checkout] [--time MS] [--rounds N]`
 * (bounded: each task runs for `--time` ms, 1,000 by default, `--rounds` times, 2 by default, in alternating
 * order), under the measurement lock (`/work/tools/quiet`). Both sides are imported from their `dist`.
 */

import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { create } from "@bufbuild/protobuf";
import { backgroundContext, type Engine, GenerateRequestSchema } from "@modelwire/core";
import { Bench } from "tinybench";

const argv = process.argv.slice(2);
const opt = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const time = Math.min(Math.max(100, Number(opt("--time") ?? 1000)), 10_000);
const rounds = Math.min(Math.max(1, Number(opt("--rounds") ?? 2)), 6);
const baseDir = opt("--base");

type Factory = (o: { tokens: number }) => Engine;
/** An engine build: this checkout's dist (so both sides run compiled code, not one through tsx), or another's. */
async function load(dir: string): Promise<Factory> {
  return ((await import(join(dir, "packages/engine/dist/index.js"))) as { createSyntheticEngine: Factory })
    .createSyntheticEngine;
}
const root = fileURLToPath(new URL("../../../..", import.meta.url));
const engines: [string, Factory][] = [["head", await load(root)]];
if (baseDir) engines.unshift(["base", await load(baseDir)]);

const CASES = [
  { name: "4,000 tokens", tokens: 4000, init: { model: "synthetic", prompt: "why is the sky blue?" } },
  { name: "256 tokens", tokens: 256, init: { model: "synthetic", prompt: "short" } },
  {
    name: "1,000 tokens, 2 stops",
    tokens: 1000,
    init: { model: "synthetic", prompt: "stops", options: { stop: ["zzz", "qq q"] } },
  },
  { name: "1,000 tokens, thinking", tokens: 1000, init: { model: "synthetic-think", prompt: "think" } },
  { name: "64 tokens, raw", tokens: 64, init: { model: "synthetic", prompt: "raw", raw: true } },
];

const bench = new Bench({ time, warmupTime: Math.min(200, time / 4) });
// Rounds in alternating order (base, head, then head, base, ...) so neither side always runs first.
for (let r = 0; r < rounds; r++) {
  for (const c of CASES) {
    const request = create(GenerateRequestSchema, c.init);
    const order = r % 2 === 0 ? engines : [...engines].reverse();
    for (const [label, make] of order) {
      const engine = make({ tokens: c.tokens });
      bench.add(`${c.name} (${label}) #${r + 1}`, async () => {
        let n = 0;
        for await (const _ of engine.generate(request, backgroundContext())) n++;
        if (n < 2) throw new Error("no tokens");
      });
    }
  }
}
await bench.run();

const msOf = (name: string) =>
  (bench.tasks.find((t) => t.name === name)?.result as { latency?: { mean: number } } | undefined)?.latency?.mean ??
  Number.NaN;
const rows: { task: string; "tokens/s": number; "ms per stream, each round": string }[] = [];
for (const c of CASES) {
  for (const [label] of engines) {
    const ms = Array.from({ length: rounds }, (_, r) => msOf(`${c.name} (${label}) #${r + 1}`));
    const mean = ms.reduce((a, b) => a + b, 0) / ms.length;
    rows.push({
      task: `${c.name} (${label})`,
      "tokens/s": Math.round((c.tokens * 1000) / mean),
      "ms per stream, each round": ms.map((x) => x.toFixed(3)).join(" / "),
    });
  }
}
console.log(
  `engine throughput ${new Date().toISOString()} loadavg ${loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}`,
);
console.table(rows);
if (baseDir) {
  for (const c of CASES) {
    const get = (label: string) => rows.find((r) => r.task === `${c.name} (${label})`)?.["tokens/s"] ?? 0;
    console.log(`${c.name}: head/base tokens/s = ${(get("head") / Math.max(1, get("base"))).toFixed(2)}`);
  }
}
