import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { InferenceRequestSchema } from "@modelwire/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sameBytes } from "../test-support/bytes.js";
import { decodeInferenceRequest } from "./inference-request-decode.js";
import { encodeInferenceRequest } from "./open-frame.js";

/** Random model versions, inputs and metadata maps (the three InferenceRequest fields). */
const requestParts = [
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.uint8Array({ maxLength: 400 }),
  fc.dictionary(fc.string({ maxLength: 20 }), fc.string({ unit: "grapheme", maxLength: 200 }), { maxKeys: 5 }),
] as const;

describe("encodeInferenceRequest", () => {
  it("decodes to the same message protobuf-es encodes, for random inputs", () => {
    fc.assert(
      fc.property(...requestParts, (mv, input, metadata) => {
        const mine = encodeInferenceRequest(mv, input, metadata);
        const theirs = toBinary(
          InferenceRequestSchema,
          create(InferenceRequestSchema, { modelVersion: mv, inputData: input, metadata }),
        );
        expect(fromBinary(InferenceRequestSchema, mine)).toEqual(fromBinary(InferenceRequestSchema, theirs));
        if (Object.keys(metadata).length <= 1) expect(sameBytes(mine, theirs)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe("decodeInferenceRequest", () => {
  it("reads what protobuf-es writes, for random inputs", () => {
    fc.assert(
      fc.property(...requestParts, (mv, input, metadata) => {
        const bytes = toBinary(
          InferenceRequestSchema,
          create(InferenceRequestSchema, { modelVersion: mv, inputData: input, metadata }),
        );
        const got = decodeInferenceRequest(bytes);
        expect(got.modelVersion).toBe(mv);
        expect([...got.inputData]).toEqual([...input]);
        expect(got.metadata).toEqual(metadata);
      }),
      { numRuns: 300 },
    );
  });

  it("keeps a metadata key named __proto__ as a key (fast-check found it dropped)", () => {
    const metadata: Record<string, string> = { a: "1" };
    Object.defineProperty(metadata, "__proto__", { value: "x", enumerable: true, writable: true, configurable: true });
    const bytes = toBinary(InferenceRequestSchema, create(InferenceRequestSchema, { modelVersion: "m", metadata }));
    const got = decodeInferenceRequest(bytes);
    expect(Object.keys(got.metadata).sort()).toEqual(["__proto__", "a"]);
    expect(got.metadata).toEqual(metadata);
    expect(Object.getPrototypeOf(got.metadata)).toBe(Object.prototype);
  });

  // Stricter is allowed, laxer is not: protobuf-es reads a map entry's key past the entry's declared end (e.g.
  // 1a 01 0a 01 20 12 00 gives it {" ": ""}); this decoder rejects that.
  it("on random bytes and mutated encodings, returns what protobuf-es returns or rejects; never accepts what it rejects", () => {
    const mutated = fc
      .tuple(...requestParts, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat())
      .map(([mv, input, metadata, at, byte, cut]) => {
        const ok = toBinary(
          InferenceRequestSchema,
          create(InferenceRequestSchema, { modelVersion: mv, inputData: input, metadata }),
        );
        const b = ok.slice(0, ok.length - (cut % 3 === 0 ? cut % (ok.length + 1) : 0));
        if (b.length > 0 && at % 2 === 0) b[at % b.length] = byte;
        return b;
      });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), mutated), (bytes) => {
        let want: { modelVersion: string; inputData: number[]; metadata: Record<string, string> } | undefined;
        try {
          const m = fromBinary(InferenceRequestSchema, bytes);
          want = { modelVersion: m.modelVersion, inputData: [...m.inputData], metadata: { ...m.metadata } };
        } catch {
          want = undefined;
        }
        let got: typeof want;
        try {
          const r = decodeInferenceRequest(bytes);
          got = { modelVersion: r.modelVersion, inputData: [...r.inputData], metadata: { ...r.metadata } };
        } catch {
          got = undefined;
        }
        // protobuf-es drops a "__proto__" key (it assigns it, which sets the prototype); this decoder keeps it.
        if (got && want && Object.hasOwn(got.metadata, "__proto__") && !Object.hasOwn(want.metadata, "__proto__")) {
          Reflect.deleteProperty(got.metadata, "__proto__");
        }
        if (got !== undefined) expect(got).toEqual(want);
        if (want === undefined) expect(got).toBeUndefined();
      }),
      { numRuns: 2000 },
    );
  });

  it("random bytes either decode or throw, never hang or overrun", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          const r = decodeInferenceRequest(bytes);
          expect(r.inputData.length).toBeLessThanOrEqual(bytes.length);
        } catch (e) {
          expect(e).toBeInstanceOf(Error);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
