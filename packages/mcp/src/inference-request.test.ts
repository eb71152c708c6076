import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { InferenceRequestSchema } from "@modelwire/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeInferenceRequest } from "./inference-request.js";

describe("encodeInferenceRequest", () => {
  it("decodes to the same message protobuf-es encodes, for random inputs", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme", maxLength: 40 }),
        fc.uint8Array({ maxLength: 400 }),
        fc.dictionary(fc.string({ maxLength: 20 }), fc.string({ unit: "grapheme", maxLength: 200 }), { maxKeys: 5 }),
        (mv, input, metadata) => {
          const mine = encodeInferenceRequest(mv, input, metadata);
          const theirs = toBinary(InferenceRequestSchema, create(InferenceRequestSchema, { modelVersion: mv, inputData: input, metadata }));
          expect(fromBinary(InferenceRequestSchema, mine)).toEqual(fromBinary(InferenceRequestSchema, theirs));
          if (Object.keys(metadata).length <= 1) expect(Buffer.from(mine).equals(Buffer.from(theirs))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
