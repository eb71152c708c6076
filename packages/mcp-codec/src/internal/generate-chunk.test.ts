import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { type GenerateResponse, GenerateResponseSchema } from "@modelwire/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FrameType } from "../constants.js";
import {
  badMetrics,
  expectFrame,
  metrics,
  replyChunkBytes,
  text,
  timestamp,
} from "../test-support/chunk-arbitraries.js";
import {
  decodeContentChunk,
  decodeFinalChunk,
  encodeContentChunkFrame,
  encodeFinalChunkFrame,
} from "./generate-chunk.js";

const contentChunk = fc
  .record({ model: text, response: text, thinking: text, createdAt: timestamp })
  .map((init) => create(GenerateResponseSchema, init));

describe("encodeContentChunkFrame", () => {
  it("writes a DATA frame whose payload is byte-identical to protobuf-es toBinary", () => {
    fc.assert(
      fc.property(contentChunk, fc.integer({ min: 1, max: 0x7fffffff }), fc.nat(), (chunk, id, seq) => {
        const theirs = toBinary(GenerateResponseSchema, chunk);
        expectFrame(encodeContentChunkFrame(id, seq, chunk), theirs, FrameType.Data, id, seq);
      }),
      { numRuns: 500 },
    );
  });

  it("declines anything that is not a plain content chunk", () => {
    const base = { model: "m", response: "x" };
    const declined: GenerateResponse[] = [
      create(GenerateResponseSchema, { ...base, done: true }),
      create(GenerateResponseSchema, { ...base, doneReason: "stop" }),
      create(GenerateResponseSchema, { ...base, context: [1] }),
      create(GenerateResponseSchema, { ...base, metrics: { evalCount: 1 } }),
      create(GenerateResponseSchema, { ...base, createdAt: { seconds: -1n } }),
    ];
    for (const m of declined) expect(encodeContentChunkFrame(1, 0, m)).toBeUndefined();
    const withUnknown = fromBinary(GenerateResponseSchema, new Uint8Array([0x0a, 0x01, 0x61, 0xf8, 0x3e, 0x01]));
    expect(withUnknown.$unknown).toBeDefined();
    expect(encodeContentChunkFrame(1, 0, withUnknown)).toBeUndefined();
  });
});

/** Mostly well-formed content fields with a random (often invalid) byte inside a string. */
const utf8ish = fc
  .tuple(fc.constantFrom(0x0a, 0x1a, 0x22), fc.uint8Array({ minLength: 1, maxLength: 8 }))
  .map(([tag, body]) => new Uint8Array([tag, body.length, ...body]));

describe("decodeContentChunk", () => {
  it("returns what protobuf-es fromBinary returns, for random content chunks", () => {
    fc.assert(
      fc.property(contentChunk, (chunk) => {
        const bytes = toBinary(GenerateResponseSchema, chunk);
        const mine = decodeContentChunk(bytes);
        expect(mine).toBeDefined();
        expect(mine).toStrictEqual(fromBinary(GenerateResponseSchema, bytes));
      }),
      { numRuns: 500 },
    );
  });

  it("gives every chunk its own created_at, also for the same second (the seconds bigint is reused, nothing else)", () => {
    const init = { model: "m", response: "x", createdAt: { seconds: 1_764_633_600n, nanos: 5 } };
    const bytes = toBinary(GenerateResponseSchema, create(GenerateResponseSchema, init));
    const a = decodeContentChunk(bytes);
    const b = decodeContentChunk(bytes);
    expect(a?.createdAt).toBeDefined();
    expect(a?.createdAt).not.toBe(b?.createdAt);
    if (a?.createdAt) a.createdAt.seconds = 7n;
    expect(b?.createdAt?.seconds).toBe(1_764_633_600n);
    const other = toBinary(GenerateResponseSchema, create(GenerateResponseSchema, { createdAt: { seconds: 9n } }));
    expect(decodeContentChunk(other)?.createdAt?.seconds).toBe(9n);
    expect(decodeContentChunk(bytes)?.createdAt?.seconds).toBe(1_764_633_600n);
  });

  it("declines final chunks, unknown and repeated fields, and never disagrees with protobuf-es on random bytes", () => {
    const final = toBinary(
      GenerateResponseSchema,
      create(GenerateResponseSchema, { model: "m", done: true, doneReason: "stop", metrics: { evalCount: 3 } }),
    );
    expect(decodeContentChunk(final)).toBeUndefined();
    expect(decodeContentChunk(new Uint8Array([0x0a, 0x01, 0x61, 0x0a, 0x01, 0x62]))).toBeUndefined();
    expect(decodeContentChunk(new Uint8Array([0x0a, 0x05, 0x61]))).toBeUndefined(); // truncated
    expect(decodeContentChunk(new Uint8Array([0x1a, 0x01, 0x80]))).toBeUndefined(); // invalid UTF-8: fromBinary reports it
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 60 }), utf8ish), (bytes) => {
        const mine = decodeContentChunk(bytes);
        if (mine === undefined) return;
        expect(mine).toStrictEqual(fromBinary(GenerateResponseSchema, bytes));
      }),
      { numRuns: 2000 },
    );
  });
});

const finalChunk = fc
  .record({
    model: text,
    response: text,
    thinking: text,
    createdAt: timestamp,
    done: fc.boolean(),
    doneReason: fc.oneof(fc.constantFrom("", "stop", "length"), text),
    // Ollama's token ids: small non-negative int32s (the codec's range); negatives are tested as declined.
    context: fc.array(fc.integer({ min: 0, max: 0x7fffffff }), { maxLength: 12 }),
    metrics,
  })
  .map((init) => create(GenerateResponseSchema, init));

describe("encodeFinalChunkFrame", () => {
  it("writes an END frame whose payload is byte-identical to protobuf-es toBinary", () => {
    fc.assert(
      fc.property(
        fc.oneof(finalChunk, contentChunk),
        fc.integer({ min: 1, max: 0x7fffffff }),
        fc.nat(),
        (m, id, seq) => {
          expectFrame(encodeFinalChunkFrame(id, seq, m), toBinary(GenerateResponseSchema, m), FrameType.End, id, seq);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("the synthetic engine's real final chunk: same bytes as toBinary", () => {
    const m = create(GenerateResponseSchema, {
      model: "synthetic:latest",
      createdAt: { seconds: 1_764_000_000n, nanos: 123_000_000 },
      done: true,
      doneReason: "stop",
      metrics: {
        totalDuration: 1_234_567n,
        loadDuration: 0n,
        promptEvalCount: 7,
        promptEvalDuration: 345n,
        evalCount: 1,
        evalDuration: 999n,
      },
    });
    expectFrame(encodeFinalChunkFrame(3, 1, m), toBinary(GenerateResponseSchema, m), FrameType.End, 3, 1);
  });

  it("declines unknown fields and negative numbers (a negative context id too)", () => {
    const base = { model: "m", done: true, doneReason: "stop" };
    const declined: GenerateResponse[] = [
      create(GenerateResponseSchema, { ...base, context: [1, -2] }),
      ...badMetrics.map((m) => create(GenerateResponseSchema, { ...base, metrics: m })),
      create(GenerateResponseSchema, { ...base, createdAt: { seconds: -1n } }),
    ];
    for (const m of declined) expect(encodeFinalChunkFrame(1, 0, m)).toBeUndefined();
    const withUnknown = fromBinary(GenerateResponseSchema, new Uint8Array([0x28, 0x01, 0xf8, 0x3e, 0x01]));
    expect(encodeFinalChunkFrame(1, 0, withUnknown)).toBeUndefined();
    const unknownInMetrics = fromBinary(GenerateResponseSchema, new Uint8Array([0x42, 0x03, 0xf8, 0x3e, 0x01]));
    expect(unknownInMetrics.metrics?.$unknown).toBeDefined();
    expect(encodeFinalChunkFrame(1, 0, unknownInMetrics)).toBeUndefined();
  });

  it("leaves a cache hit's final chunk to protobuf-es both ways", () => {
    const hit = create(GenerateResponseSchema, {
      model: "m",
      done: true,
      doneReason: "stop",
      metrics: { evalCount: 2 },
      cacheHit: { originalMetrics: { evalCount: 2, totalDuration: 9n }, storedAt: { seconds: 5n } },
    });
    expect(encodeFinalChunkFrame(1, 0, hit)).toBeUndefined();
    expect(decodeFinalChunk(toBinary(GenerateResponseSchema, hit))).toBeUndefined();
  });
});

/** Mostly well-formed final-chunk fields, some broken: random varints, strings and metrics bodies. */
const finalish = replyChunkBytes({ strings: [0x32, 0x0a], done: 0x28, metrics: 0x42, packed: [0x3a, 0x38] });

describe("decodeFinalChunk", () => {
  it("returns what protobuf-es fromBinary returns, for random final and content chunks", () => {
    fc.assert(
      fc.property(fc.oneof(finalChunk, contentChunk), (m) => {
        const bytes = toBinary(GenerateResponseSchema, m);
        const mine = decodeFinalChunk(bytes);
        expect(mine).toBeDefined();
        expect(mine).toStrictEqual(fromBinary(GenerateResponseSchema, bytes));
      }),
      { numRuns: 500 },
    );
  });

  it("reads packed context; declines unpacked or negative context, unknown and repeated fields, and never disagrees with protobuf-es on random bytes", () => {
    const withContext = toBinary(
      GenerateResponseSchema,
      create(GenerateResponseSchema, { done: true, context: [1, 300, 0x7fffffff] }),
    );
    expect(decodeFinalChunk(withContext)?.context).toEqual([1, 300, 0x7fffffff]);
    const negative = toBinary(GenerateResponseSchema, create(GenerateResponseSchema, { done: true, context: [-1] }));
    expect(decodeFinalChunk(negative)).toBeUndefined();
    expect(decodeFinalChunk(new Uint8Array([0x38, 0x01]))).toBeUndefined(); // unpacked
    expect(decodeFinalChunk(new Uint8Array([0x3a, 0x01, 0x01, 0x3a, 0x01, 0x02]))).toBeUndefined(); // twice
    expect(decodeFinalChunk(new Uint8Array([0x3a, 0x02, 0x81]))).toBeUndefined(); // truncated
    expect(decodeFinalChunk(new Uint8Array([0x28, 0x01, 0x28, 0x01]))).toBeUndefined(); // repeated
    expect(decodeFinalChunk(new Uint8Array([0x42, 0x02, 0x28, 0x01, 0x42, 0x00]))).toBeUndefined(); // repeated
    expect(decodeFinalChunk(new Uint8Array([0x42, 0x02, 0x38, 0x01]))).toBeUndefined(); // unknown metrics field
    expect(decodeFinalChunk(new Uint8Array([0x42, 0x05, 0x28, 0x01]))).toBeUndefined(); // truncated
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 60 }), finalish), (bytes) => {
        const mine = decodeFinalChunk(bytes);
        if (mine === undefined) return;
        expect(mine).toStrictEqual(fromBinary(GenerateResponseSchema, bytes));
      }),
      { numRuns: 3000 },
    );
  });
});
