import { Code } from "@modelwire/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { grpcTimeout } from "./fast-client.js";
import { encodeGrpcMessage, envelope, parseGrpcTimeout, readUnaryEnvelope } from "./grpc-wire.js";

describe("grpc-timeout", () => {
  it("parses every unit and rejects malformed values", () => {
    expect(parseGrpcTimeout(undefined)).toBeUndefined();
    expect(parseGrpcTimeout("250m")).toBe(250);
    expect(parseGrpcTimeout("2S")).toBe(2_000);
    expect(parseGrpcTimeout("1M")).toBe(60_000);
    expect(parseGrpcTimeout("1H")).toBe(3_600_000);
    expect(parseGrpcTimeout("1500u")).toBeCloseTo(1.5);
    expect(parseGrpcTimeout("123456789m")).toBeNull(); // 9 digits
    expect(parseGrpcTimeout("10x")).toBeNull();
    expect(parseGrpcTimeout("")).toBeNull();
  });

  it("formats any duration within 8 digits and never shorter than asked", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), (ms) => {
        const v = grpcTimeout(ms);
        const back = parseGrpcTimeout(v);
        expect(back).not.toBeNull();
        expect(back!).toBeGreaterThanOrEqual(Math.min(ms, 99_999_999 * 3_600_000));
      }),
    );
  });
});

describe("grpc-message encoding", () => {
  it("leaves printable ASCII alone and percent-encodes the rest as UTF-8", () => {
    expect(encodeGrpcMessage("model 'a:b' not found")).toBe("model 'a:b' not found");
    expect(encodeGrpcMessage("100%")).toBe("100%25");
    expect(encodeGrpcMessage("é\n")).toBe("%C3%A9%0A");
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (s) => {
        expect(decodeURIComponent(encodeGrpcMessage(s))).toBe(s);
      }),
    );
  });
});

describe("unary envelope", () => {
  it("round-trips one message", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const r = readUnaryEnvelope(envelope(bytes), 1024);
        expect(r.ok).toBe(true);
        if (r.ok) expect(Buffer.from(r.message).equals(Buffer.from(bytes))).toBe(true);
      }),
    );
  });

  it("answers every malformed body with a code, never a throw", () => {
    const ok = envelope(new Uint8Array([1, 2, 3]));
    expect(readUnaryEnvelope(Buffer.alloc(0), 100)).toMatchObject({ ok: false, code: Code.InvalidArgument });
    expect(readUnaryEnvelope(ok.subarray(0, 3), 100)).toMatchObject({ ok: false, code: Code.InvalidArgument });
    expect(readUnaryEnvelope(ok.subarray(0, 6), 100)).toMatchObject({ ok: false, code: Code.InvalidArgument });
    expect(readUnaryEnvelope(Buffer.concat([ok, ok]), 100)).toMatchObject({ ok: false, code: Code.InvalidArgument });
    expect(readUnaryEnvelope(envelope(new Uint8Array(200)), 100)).toMatchObject({
      ok: false,
      code: Code.ResourceExhausted,
    });
    const compressed = Buffer.from(ok);
    compressed[0] = 1;
    expect(readUnaryEnvelope(compressed, 100)).toMatchObject({ ok: false, code: Code.Internal });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (junk) => {
        const r = readUnaryEnvelope(Buffer.from(junk), 32);
        if (!r.ok) expect([Code.InvalidArgument, Code.ResourceExhausted, Code.Internal]).toContain(r.code);
      }),
    );
  });
});
