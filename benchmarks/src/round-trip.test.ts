import { clone, create, equals } from "@bufbuild/protobuf";
import { type GenerateRequest, GenerateRequestSchema } from "@modelwire/core";
import { describe, expect, it } from "vitest";
import { singleCase } from "./cases.js";
import type { Codec } from "./codecs/codec.js";
import { protobufBinaryCodec } from "./codecs/protobuf.js";
import { createFixtures } from "./fixtures.js";
import { RoundTripError, verifyRoundTrip } from "./round-trip.js";

const fx = createFixtures(1);
const probes = createFixtures(2);
const eq = (a: GenerateRequest, b: GenerateRequest) => equals(GenerateRequestSchema, a, b);
const pb = protobufBinaryCodec(GenerateRequestSchema);
const caseOf = (codec: Codec<GenerateRequest>, cls: "req-small" | "req-image-256k" = "req-small") =>
  singleCase(cls, { name: "under-test", codec }, fx.requests[cls], probes.requests[cls], eq);

describe("verifyRoundTrip", () => {
  it("accepts a correct codec and reports its wire size", () => {
    const r = verifyRoundTrip(caseOf(pb, "req-image-256k"));
    expect(r.bytes).toBe(pb.encode(fx.requests["req-image-256k"]).length);
    expect(r.bytes).toBeGreaterThan(256 * 1024);
  });

  it("rejects a codec that drops a field", () => {
    const lossy: Codec<GenerateRequest> = {
      encode: (v) => pb.encode(create(GenerateRequestSchema, { ...v, system: "" })),
      decode: (b) => pb.decode(b),
    };
    expect(() => verifyRoundTrip(caseOf(lossy))).toThrow(RoundTripError);
    expect(() => verifyRoundTrip(caseOf(lossy))).toThrow(/differs from the original/);
  });

  it("rejects a codec that corrupts image bytes", () => {
    const flip: Codec<GenerateRequest> = {
      encode: (v) => {
        const bytes = pb.encode(v);
        bytes[bytes.length - 1] ^= 0x01; // last byte of the image
        return bytes;
      },
      decode: (b) => pb.decode(b),
    };
    expect(() => verifyRoundTrip(caseOf(flip, "req-image-256k"))).toThrow(RoundTripError);
  });

  it("rejects a codec that echoes the last value it encoded instead of decoding", () => {
    let last: GenerateRequest | undefined;
    const echo: Codec<GenerateRequest> = {
      encode: (v) => {
        last = v;
        return new Uint8Array(1);
      },
      decode: () => clone(GenerateRequestSchema, last as GenerateRequest),
    };
    expect(() => verifyRoundTrip(caseOf(echo))).toThrow(/decoded input differs/);
  });

  it("rejects a codec that hands back the original object", () => {
    const seen = new Map<number, GenerateRequest>();
    const identity: Codec<GenerateRequest> = {
      encode: (v) => {
        seen.set(seen.size, v);
        return Uint8Array.of(seen.size - 1);
      },
      decode: (b) => seen.get(b[0]) as GenerateRequest,
    };
    expect(() => verifyRoundTrip(caseOf(identity))).toThrow(/original object/);
  });

  it("rejects a codec that throws, naming the case and keeping the cause", () => {
    const broken: Codec<GenerateRequest> = {
      encode: (v) => pb.encode(v),
      decode: () => {
        throw new Error("boom");
      },
    };
    try {
      verifyRoundTrip(caseOf(broken));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(RoundTripError);
      expect((e as RoundTripError).caseName).toBe("req-small/under-test");
      expect((e as Error).message).toContain("boom");
      expect((e as Error).cause).toBeInstanceOf(Error);
    }
  });

  it("rejects an empty encoding", () => {
    const copy = (v: GenerateRequest) => create(GenerateRequestSchema, v);
    const empty: Codec<GenerateRequest> = {
      encode: () => new Uint8Array(0),
      decode: () => copy(fx.requests["req-small"]),
    };
    expect(() => verifyRoundTrip(caseOf(empty))).toThrow(/0 bytes/);
  });

  it("refuses a case whose probe equals its input (the echo check would be void)", () => {
    const c = singleCase(
      "req-small",
      { name: "pb", codec: pb },
      fx.requests["req-small"],
      fx.requests["req-small"],
      eq,
    );
    expect(() => verifyRoundTrip(c)).toThrow(/input and probe are equal/);
  });
});
