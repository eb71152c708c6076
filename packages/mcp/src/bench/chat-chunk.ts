/**
 * ChatResponse chunks on the MCP hot path (`npm run perf:chat`): what the server does to send a chunk and the
 * client to read it, protobuf-es against the hand-written codec (chat-chunk.ts), side by side in one run with
 * tinybench, for
 *
 * - `content`: a chat content chunk as the synthetic engine sends one per token (model, created_at, an assistant
 *   message with a one-word content);
 * - `final`: the last chunk (done, done_reason, metrics, an assistant message with empty content).
 *
 * Encode is the whole frame the server writes: `encodeFrame` around `toBinary` for protobuf-es (the server's
 * fallback), {@link encodeChatContentFrame} / {@link encodeChatFinalFrame} for the hand-written codec. Decode is the
 * client's `fromBinary` against {@link decodeChatContentChunk} / {@link decodeChatFinalChunk} on the frame's payload.
 * Each case is checked first (same payload bytes, equal decoded messages). Figures are tinybench's mean time per
 * operation in ns (each sample times 100 operations) and the hand-written codec's speedup on encode + decode.
 */

import { isDeepStrictEqual } from "node:util";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { type ChatResponse, ChatResponseSchema } from "@modelwire/core";
import { encodeFrame, FrameType, HEADER_SIZE } from "@modelwire/mcp-codec";
import {
  decodeChatContentChunk,
  decodeChatFinalChunk,
  encodeChatContentFrame,
  encodeChatFinalFrame,
} from "@modelwire/mcp-codec/internal";
import { Bench } from "tinybench";

interface Case {
  name: string;
  chunk: ChatResponse;
  type: FrameType;
  encode: (streamId: number, seq: number, chunk: ChatResponse) => Uint8Array | undefined;
  decode: (payload: Uint8Array) => ChatResponse | undefined;
}

const createdAt = { seconds: 1_764_000_000n, nanos: 123_000_000 };
const cases: Case[] = [
  {
    name: "content",
    chunk: create(ChatResponseSchema, {
      model: "synthetic:latest",
      createdAt,
      message: { role: "assistant", content: " the" },
    }),
    type: FrameType.Data,
    encode: encodeChatContentFrame,
    decode: decodeChatContentChunk,
  },
  {
    name: "final",
    chunk: create(ChatResponseSchema, {
      model: "synthetic:latest",
      createdAt,
      message: { role: "assistant" },
      done: true,
      doneReason: "stop",
      metrics: {
        totalDuration: 1_234_567n,
        promptEvalCount: 7,
        promptEvalDuration: 345_000n,
        evalCount: 24,
        evalDuration: 888_000n,
      },
    }),
    type: FrameType.End,
    encode: encodeChatFinalFrame,
    decode: decodeChatFinalChunk,
  },
];

for (const c of cases) {
  const theirs = toBinary(ChatResponseSchema, c.chunk);
  const payload = c.encode(1, 0, c.chunk)?.subarray(HEADER_SIZE);
  if (!payload || !Buffer.from(payload).equals(Buffer.from(theirs)))
    throw new Error(`${c.name}: the encoders disagree`);
  if (!isDeepStrictEqual(c.decode(theirs), fromBinary(ChatResponseSchema, theirs))) {
    throw new Error(`${c.name}: the decoders disagree`);
  }
}

let sink = 0;
/** The last decoded chunk, kept so that no decode can be optimized away. */
let kept: ChatResponse | undefined;
/** Operations per timed sample: one (~100 ns) is too short for the timer's resolution and overhead. */
const BATCH = 100;
const bench = new Bench({ time: 400, warmupTime: 100 });
for (const c of cases) {
  const payload = toBinary(ChatResponseSchema, c.chunk);
  bench.add(`${c.name} encode protobuf-es`, () => {
    for (let i = 0; i < BATCH; i++) {
      const p = toBinary(ChatResponseSchema, c.chunk);
      sink += encodeFrame({ type: c.type, streamId: 1, sequence: i, payload: p }).length;
    }
  });
  bench.add(`${c.name} encode hand-written`, () => {
    for (let i = 0; i < BATCH; i++) sink += c.encode(1, i, c.chunk)?.length ?? 0;
  });
  bench.add(`${c.name} decode protobuf-es`, () => {
    for (let i = 0; i < BATCH; i++) {
      kept = fromBinary(ChatResponseSchema, payload);
      sink += kept.model.length;
    }
  });
  bench.add(`${c.name} decode hand-written`, () => {
    for (let i = 0; i < BATCH; i++) {
      kept = c.decode(payload);
      sink += kept?.model.length ?? 0;
    }
  });
}
await bench.run();

const mean = new Map<string, number>();
for (const t of bench.tasks) {
  const r = t.result;
  if (r.state !== "completed") {
    throw new Error(`${t.name}: ${r.state === "errored" ? String(r.error) : `not completed (${r.state})`}`);
  }
  mean.set(t.name, (r.latency.mean * 1e6) / BATCH);
}
const ns = (name: string) => mean.get(name) ?? Number.NaN;
const col = (v: number) => v.toFixed(0).padStart(6);
console.log(`ChatResponse chunk codec, ns/op (tinybench mean, samples of ${BATCH} ops; shared machine)`);
console.log(`${"".padEnd(26)}encode decode  total`);
for (const c of cases) {
  const total: Record<string, number> = {};
  for (const impl of ["protobuf-es", "hand-written"]) {
    const enc = ns(`${c.name} encode ${impl}`);
    const dec = ns(`${c.name} decode ${impl}`);
    total[impl] = enc + dec;
    console.log(`${`${c.name} ${impl}`.padEnd(26)}${col(enc)} ${col(dec)} ${col(enc + dec)}`);
  }
  console.log(`${`${c.name} speedup`.padEnd(26)}${(total["protobuf-es"] / total["hand-written"]).toFixed(2)}x`);
}
if (sink === 0 || kept === undefined) console.log("");
