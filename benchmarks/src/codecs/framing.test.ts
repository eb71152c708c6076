import { Code, ModelwireError } from "@modelwire/core";
import { describe, expect, it } from "vitest";
import { createEnvelopeReader, decodeEnvelope, encodeEnvelope } from "./grpc-envelope.js";
import { createLineReader, encodeLine } from "./ndjson.js";

const codeOf = (f: () => unknown): Code | undefined => {
  try {
    f();
  } catch (e) {
    return e instanceof ModelwireError ? e.code : undefined;
  }
  return undefined;
};

describe("gRPC envelope", () => {
  it("writes flag 0 and the big-endian length before the payload", () => {
    const payload = new Uint8Array(300).fill(7);
    const env = encodeEnvelope(payload);
    expect(Array.from(env.subarray(0, 5))).toEqual([0, 0, 0, 1, 44]);
    expect(decodeEnvelope(env)).toEqual(payload);
  });

  it("refuses compressed flags, truncation, trailing bytes and oversize lengths with specific codes", () => {
    const env = encodeEnvelope(Uint8Array.of(1, 2, 3));
    expect(codeOf(() => decodeEnvelope(Uint8Array.of(1, 0, 0, 0, 0)))).toBe(Code.Unimplemented);
    expect(codeOf(() => decodeEnvelope(env.subarray(0, 4)))).toBe(Code.InvalidArgument);
    expect(codeOf(() => decodeEnvelope(env.subarray(0, 7)))).toBe(Code.InvalidArgument);
    expect(codeOf(() => decodeEnvelope(Uint8Array.of(0, 0, 0, 0, 10, ...new Array(10).fill(0)), 9))).toBe(
      Code.ResourceExhausted,
    );
    // The reader refuses an oversize header before the payload arrives.
    expect(codeOf(() => createEnvelopeReader(1024).push(Uint8Array.of(0, 0x7f, 0xff, 0xff, 0xff)))).toBe(
      Code.ResourceExhausted,
    );
  });
});

describe("NDJSON lines", () => {
  it("splits lines across chunk boundaries and skips blank lines", () => {
    const enc = new TextEncoder();
    const text = new Uint8Array([...encodeLine(enc.encode('{"a":1}')), 0x0a, ...encodeLine(enc.encode('{"b":2}'))]);
    const reader = createLineReader();
    const out: string[] = [];
    for (let i = 0; i < text.length; i += 3)
      out.push(...reader.push(text.subarray(i, i + 3)).map((l) => new TextDecoder().decode(l)));
    expect(out).toEqual(['{"a":1}', '{"b":2}']);
    expect(reader.pending).toBe(0);
  });

  it("refuses a line longer than its limit", () => {
    const reader = createLineReader(16);
    expect(reader.push(new Uint8Array(10).fill(0x41))).toEqual([]);
    expect(codeOf(() => reader.push(new Uint8Array(10).fill(0x41)))).toBe(Code.ResourceExhausted);
  });
});
