/**
 * HTTP baseline micro- and loopback benchmarks: the cost of Ollama's JSON mapping per chunk, the NDJSON decoder,
 * and a whole streamed generate over loopback with our client and with the official ollama client, side by side.
 *
 * Run: `npm run perf -w @modelwire/http` (about 10 s). Each task runs for a bounded time (1 s) on 127.0.0.1.
 */
import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { GenerateResponseSchema } from "@modelwire/core";
import { createSyntheticEngine } from "@modelwire/engine";
import { Ollama } from "ollama";
import { Bench } from "tinybench";
import { createNdjsonDecoder } from "./ndjson.js";
import { createOllamaClient } from "./ollama-client.js";
import { generateResponseFromJson, generateResponseToJson } from "./ollama-json.js";
import { createOllamaServer } from "./ollama-server.js";

const TOKENS = 64;
const content = create(GenerateResponseSchema, {
  model: "synthetic:latest",
  createdAt: timestampNow(),
  response: " token",
});
const final = create(GenerateResponseSchema, {
  model: "synthetic:latest",
  createdAt: timestampNow(),
  done: true,
  doneReason: "stop",
  metrics: {
    totalDuration: 123_456_789n,
    loadDuration: 1_000n,
    promptEvalCount: 12,
    promptEvalDuration: 4_000_000n,
    evalCount: 64,
    evalDuration: 99_000_000n,
  },
});
const contentLine = `${JSON.stringify(generateResponseToJson(content))}\n`;
const streamBytes = Buffer.from(`${contentLine.repeat(TOKENS) + JSON.stringify(generateResponseToJson(final))}\n`);
const small: Buffer[] = [];
for (let i = 0; i < streamBytes.length; i += 61) small.push(streamBytes.subarray(i, i + 61));

const engine = createSyntheticEngine({ tokens: TOKENS });
const server = createOllamaServer({ engine });
const [addr] = await server.listen();
const ours = createOllamaClient({ host: addr.url, connections: 1 });
const official = new Ollama({ host: addr.url });

const bench = new Bench({ time: 1_000, warmupTime: 200 });
bench
  .add("json: content chunk message -> NDJSON line", () => {
    JSON.stringify(generateResponseToJson(content));
  })
  .add("json: final chunk message -> NDJSON line", () => {
    JSON.stringify(generateResponseToJson(final));
  })
  .add("json: NDJSON line -> content chunk message", () => {
    generateResponseFromJson(JSON.parse(contentLine));
  })
  .add(`ndjson: decode a ${TOKENS}-token stream in one buffer`, () => {
    const d = createNdjsonDecoder();
    d.push(streamBytes);
  })
  .add(`ndjson: decode a ${TOKENS}-token stream in 61-byte pieces`, () => {
    const d = createNdjsonDecoder();
    for (const c of small) d.push(c);
  })
  .add(`loopback: generate ${TOKENS} tokens, modelwire undici client`, async () => {
    let n = 0;
    for await (const c of ours.generate({ model: "synthetic", prompt: "bench" })) if (!c.done) n++;
    if (n !== TOKENS) throw new Error(`got ${n} tokens`);
  })
  .add(`loopback: generate ${TOKENS} tokens, official ollama client`, async () => {
    let n = 0;
    for await (const c of await official.generate({ model: "synthetic", prompt: "bench", stream: true }))
      if (!c.done) n++;
    if (n !== TOKENS) throw new Error(`got ${n} tokens`);
  });

const before = server.stats();
await bench.run();
const after = server.stats();
console.log(
  `HTTP baseline benchmarks (Node ${process.version}; shared, loaded 2-core machine: compare rows, not runs)`,
);
console.table(bench.table());
const calls = after.requests - before.requests;
console.log(
  `loopback wire cost: ${calls} calls, ${((after.bytesOut - before.bytesOut) / calls).toFixed(0)} B out and ` +
    `${((after.bytesIn - before.bytesIn) / calls).toFixed(0)} B in per call; ${(streamBytes.length / (TOKENS + 1)).toFixed(0)} B of NDJSON per chunk; ` +
    `connections accepted ${after.accepted}`,
);
await ours.close();
await server.close({ graceMs: 100 });
