import { Code, ModelwireError } from "@modelwire/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { metadataFromStatusDetails } from "./error-details.js";
import {
  createEnvelopeReader,
  encodeGrpcMessage,
  envelope,
  errorTrailers,
  flaggedEnvelope,
  grpcTimeout,
  parseGrpcTimeout,
} from "./grpc-wire.js";

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
    expect(encodeGrpcMessage(" a b ")).toBe("%20a b%20");
    expect(encodeGrpcMessage("")).toBe("");
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (s) => {
        const encoded = encodeGrpcMessage(s);
        expect(decodeURIComponent(encoded)).toBe(s);
        expect(encoded).toMatch(/^(?! )[\x20-\x7e]*(?<! )$/);
      }),
    );
  });
});

describe("streaming envelope reader", () => {
  it("yields the same messages however the body is split", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 12 }),
        fc.array(fc.integer({ min: 0, max: 3_000 }), { maxLength: 20 }),
        (messages, cuts) => {
          const body = Buffer.concat(messages.map((m) => envelope(m)));
          const points = [...new Set(cuts.map((c) => c % (body.length + 1)))].sort((a, b) => a - b);
          const reader = createEnvelopeReader(1024);
          const out: Uint8Array[] = [];
          let from = 0;
          for (const p of [...points, body.length]) {
            expect(reader.push(body.subarray(from, p), out)).toBeUndefined();
            from = p;
          }
          expect(out.map((m) => Buffer.from(m).toString("hex"))).toEqual(
            messages.map((m) => Buffer.from(m).toString("hex")),
          );
          expect(reader.pending()).toBe(0);
        },
      ),
    );
  });

  it("refuses an oversized message from its prefix, flagged frames, and reports a truncated tail", () => {
    const out: Uint8Array[] = [];
    const big = envelope(new Uint8Array(101)).subarray(0, 5); // only the prefix has arrived
    expect(createEnvelopeReader(100).push(big, out)).toMatchObject({ code: Code.ResourceExhausted });
    const compressed = envelope(new Uint8Array([1]));
    compressed[0] = 1;
    expect(createEnvelopeReader(100).push(compressed, out)).toMatchObject({ code: Code.Internal });
    const trailerFrame = envelope(new Uint8Array([1]));
    trailerFrame[0] = 0x80;
    expect(createEnvelopeReader(100).push(trailerFrame, out)).toMatchObject({ code: Code.Internal });
    const truncated = createEnvelopeReader(100);
    expect(truncated.push(envelope(new Uint8Array([1, 2, 3])).subarray(0, 6), out)).toBeUndefined();
    expect(truncated.pending()).toBe(6);
    expect(out).toHaveLength(0);
  });

  it("with an end flag keeps the final frame apart and refuses anything after it", () => {
    const out: Uint8Array[] = [];
    const end = flaggedEnvelope(0x80, Buffer.from("grpc-status: 0\r\n"));
    const reader = createEnvelopeReader(100, 0x80);
    const body = Buffer.concat([envelope(Buffer.from("a")), envelope(Buffer.from("b")), end]);
    for (let i = 0; i < body.length; i += 3) expect(reader.push(body.subarray(i, i + 3), out)).toBeUndefined();
    expect(out.map((m) => Buffer.from(m).toString())).toEqual(["a", "b"]);
    expect(Buffer.from(reader.endFrame()!).toString()).toBe("grpc-status: 0\r\n");
    expect(reader.pending()).toBe(0);
    expect(reader.push(envelope(Buffer.from("c")), out)).toMatchObject({ code: Code.InvalidArgument });
    expect(createEnvelopeReader(100, 0x02).push(end, out)).toMatchObject({ code: Code.Internal });
  });
});

describe("error trailers", () => {
  it("carry the code, the spec-encoded message and the metadata; Ok becomes UNKNOWN", () => {
    const t = errorTrailers(new ModelwireError("50% done: naïve", Code.Unavailable, { Retry: "a b" }));
    expect(t).toMatchObject({ "grpc-status": "14", "grpc-message": "50%25 done: na%C3%AFve" });
    const bin = t["grpc-status-details-bin"] as string;
    expect(bin).toMatch(/^[A-Za-z0-9+/]+$/); // base64 without padding, as the spec asks of -bin values
    expect(metadataFromStatusDetails(bin)).toEqual({ Retry: "a b" });
    expect(metadataFromStatusDetails("not a status")).toBeUndefined();
    expect(errorTrailers(new ModelwireError("odd", Code.Ok))["grpc-status"]).toBe(String(Code.Unknown));
  });
});
