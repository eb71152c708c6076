import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";
import { type GenerateResponse, GenerateResponseSchema } from "@modelwire/core";
import { createFrameDecoder, FrameType, HEADER_SIZE } from "@modelwire/mcp-codec";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeContentChunk, encodeContentChunkFrame } from "./generate-chunk.js";

const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  // Any UTF-16 code units, lone surrogates included.
  fc.string({ unit: "binary", maxLength: 40 }),
);

const timestamp = fc.option(
  fc.record({
    seconds: fc.bigInt({ min: 0n, max: BigInt(Number.MAX_SAFE_INTEGER) }),
    nanos: fc.integer({ min: 0, max: 999_999_999 }),
  }),
  { nil: undefined },
);

const contentChunk = fc
  .record({ model: text, response: text, thinking: text, ts: timestamp })
  .map(({ model, response, thinking, ts }) =>
    create(GenerateResponseSchema, {
      model,
      response,
      thinking,
      createdAt: ts ? create(TimestampSchema, ts) : undefined,
    }),
  );

describe("encodeContentChunkFrame", () => {
  it("writes a DATA frame whose payload is byte-identical to protobuf-es toBinary", () => {
    fc.assert(
      fc.property(contentChunk, fc.integer({ min: 1, max: 0x7fffffff }), fc.nat(), (chunk, id, seq) => {
        const frame = encodeContentChunkFrame(id, seq, chunk);
        expect(frame).toBeDefined();
        const theirs = toBinary(GenerateResponseSchema, chunk);
        expect(Buffer.from(frame!.subarray(HEADER_SIZE)).equals(Buffer.from(theirs))).toBe(true);
        const d = createFrameDecoder();
        d.push(frame!);
        const f = d.next();
        expect(f).toMatchObject({ type: FrameType.Data, streamId: id, sequence: seq });
        expect(d.next()).toBeUndefined();
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
        expect(mine).toEqual(fromBinary(GenerateResponseSchema, bytes));
      }),
      { numRuns: 500 },
    );
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
        expect(mine).toEqual(fromBinary(GenerateResponseSchema, bytes));
      }),
      { numRuns: 2000 },
    );
  });
});
