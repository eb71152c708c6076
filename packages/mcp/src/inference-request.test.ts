import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { InferenceRequestSchema } from "@modelwire/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeInferenceRequest, encodeInferenceRequest } from "./inference-request.js";

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
        if (Object.keys(metadata).length <= 1) expect(Buffer.from(mine).equals(Buffer.from(theirs))).toBe(true);
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
