/**
 * GenerateRequest decode on the server's hot path (`npm run perf:decode`): protobuf-es `fromBinary` against the
 * hand-written {@link decodeGenerateRequest}, side by side in one run with tinybench, for
 *
 * - `one-token`: the package benchmark's request, `{prompt: "hi", options: {numPredict: 1}}` with `model` empty as
 *   the MCP client sends it (the model travels in the InferenceRequest envelope);
 * - `prompt 4 KiB`: the same with a 4 KiB ASCII prompt;
 * - `prompt 4 KiB UTF-8`: a 4 KiB prompt of mixed 1–4 byte characters (both decoders use TextDecoder for it);
 * - `full`: every field set (stream, keep_alive, context, a small image, all options, 2 stop strings, think).
 *
 * Each case is checked to decode to the same request both ways before timing. Figures are tinybench's mean and
 * p99 time per decode (ns/op; each sample times 100 decodes) and the fast decoder's speedup.
 */

import { isDeepStrictEqual } from "node:util";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { type GenerateRequest, GenerateRequestSchema } from "@modelwire/core";
import { decodeGenerateRequest } from "@modelwire/mcp-codec/internal";
import { Bench } from "tinybench";

const cases: [string, Uint8Array][] = [
  [
    "one-token",
    toBinary(
      GenerateRequestSchema,
      create(GenerateRequestSchema, { model: "", prompt: "hi", options: { numPredict: 1 } }),
    ),
  ],
  [
    "prompt 4 KiB",
    toBinary(
      GenerateRequestSchema,
      create(GenerateRequestSchema, {
        prompt: "Lorem ipsum dolor sit amet. ".repeat(147).slice(0, 4096),
        options: { numPredict: 1 },
      }),
    ),
  ],
  [
    "prompt 4 KiB UTF-8",
    toBinary(
      GenerateRequestSchema,
      create(GenerateRequestSchema, { prompt: "aé日🙂 ".repeat(372), options: { numPredict: 1 } }),
    ),
  ],
  [
    "full",
    toBinary(
      GenerateRequestSchema,
      create(GenerateRequestSchema, {
        prompt: "Why is the sky blue?",
        system: "You are terse.",
        format: '"json"',
        context: [1, 2, 3, 500, 70000, -1],
        stream: true,
        keepAlive: { seconds: 300n },
        images: [new Uint8Array(512).fill(7)],
        options: {
          numKeep: 4,
          seed: 42n,
          numPredict: 128,
          topK: 40,
          topP: 0.9,
          minP: 0.05,
          typicalP: 1,
          repeatLastN: 64,
          temperature: 0.7,
          repeatPenalty: 1.1,
          presencePenalty: 0,
          frequencyPenalty: 0,
          stop: ["\n\n", "User:"],
          numCtx: 4096,
          numBatch: 512,
          numGpu: 99,
          mainGpu: 0,
          useMmap: true,
          numThread: 8,
        },
        think: { value: { case: "level", value: "high" } },
      }),
    ),
  ],
];

for (const [name, b] of cases) {
  if (!isDeepStrictEqual(decodeGenerateRequest(b), fromBinary(GenerateRequestSchema, b))) {
    throw new Error(`${name}: the decoders disagree`);
  }
}

let sink = 0;
/** The last decoded request, kept so that no decode can be optimized away. */
let kept: GenerateRequest | undefined;
/** Decodes per timed sample: one decode (~100 ns) is too short for the timer's resolution and overhead. */
const BATCH = 100;
const bench = new Bench({ time: 400, warmupTime: 100 });
for (const [name, b] of cases) {
  bench.add(`${name} protobuf-es`, () => {
    for (let i = 0; i < BATCH; i++) {
      kept = fromBinary(GenerateRequestSchema, b);
      sink += kept.prompt.length;
    }
  });
  bench.add(`${name} hand-written`, () => {
    for (let i = 0; i < BATCH; i++) {
      kept = decodeGenerateRequest(b);
      sink += kept.prompt.length;
    }
  });
}
await bench.run();

/** ns per decode from a per-sample time in ms. */
const ns = (ms: number) => (ms * 1e6) / BATCH;
const stats = new Map<string, { mean: number; p99: number; samples: number }>();
for (const t of bench.tasks) {
  const r = t.result;
  if (r.state !== "completed") {
    throw new Error(`${t.name}: ${r.state === "errored" ? String(r.error) : `not completed (${r.state})`}`);
  }
  stats.set(t.name, { mean: ns(r.latency.mean), p99: ns(r.latency.p99), samples: r.latency.samples?.length ?? t.runs });
}
console.log(`GenerateRequest decode, ns/op (tinybench, samples of ${BATCH} decodes; shared machine)`);
for (const [name, b] of cases) {
  const slow = stats.get(`${name} protobuf-es`);
  const fast = stats.get(`${name} hand-written`);
  if (!slow || !fast) continue;
  console.log(
    `${`${name} (${b.length} B)`.padEnd(28)} protobuf-es mean ${slow.mean.toFixed(0).padStart(6)} p99 ${slow.p99.toFixed(0).padStart(6)}   ` +
      `hand-written mean ${fast.mean.toFixed(0).padStart(6)} p99 ${fast.p99.toFixed(0).padStart(6)}   ${(slow.mean / fast.mean).toFixed(2)}x`,
  );
}
if (sink === 0 || kept === undefined) console.log("");
