import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { DataType, GenerateRequestSchema, InferenceRequestSchema } from "@modelwire/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FrameType, MAX_METHOD, Method } from "../constants.js";
import { decodeOpenPayload, encodeOpenFrame } from "../control.js";
import { createFrameDecoder } from "../decoder.js";
import { concatBytes, sameBytes } from "../test-support/bytes.js";
import { decodeInferenceRequest } from "./inference-request-decode.js";
import {
  encodeGenerateOpenFrame,
  encodeInferenceRequest,
  encodeRequestOpenFrame,
  encodeRequestOpenFrameParts,
  LARGE_INPUT_BYTES,
} from "./open-frame.js";

/** The OPEN frame as the client built it before: InferenceRequest in its own buffer, then framed. */
function twoStep(
  id: number,
  dt: number,
  m: Method,
  t: number,
  mv: string,
  input: Uint8Array,
  md: Record<string, string> | undefined,
): Uint8Array {
  return encodeOpenFrame(id, dt, m, t, encodeInferenceRequest(mv, input, md));
}

const argsArb = fc.record({
  id: fc.integer({ min: 1, max: 0x7fffffff }),
  dt: fc.integer({ min: 0, max: 6 }),
  method: fc.integer({ min: 1, max: MAX_METHOD }),
  timeout: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffffffff })),
  mv: fc.string({ unit: "grapheme", maxLength: 30 }),
  input: fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.constant(new Uint8Array(0))),
  md: fc.option(
    fc.dictionary(fc.string({ maxLength: 12 }), fc.string({ unit: "grapheme", maxLength: 40 }), { maxKeys: 4 }),
    {
      nil: undefined,
    },
  ),
});

describe("OPEN frame with the InferenceRequest written in place", () => {
  it("is byte-identical to framing a separately encoded InferenceRequest, whole and as parts", () => {
    fc.assert(
      fc.property(argsArb, (a) => {
        const want = twoStep(a.id, a.dt, a.method, a.timeout, a.mv, a.input, a.md);
        const whole = encodeRequestOpenFrame(a.id, a.dt, a.method, a.timeout, a.mv, a.input, a.md);
        expect(sameBytes(whole, want)).toBe(true);
        const parts = encodeRequestOpenFrameParts(a.id, a.dt, a.method, a.timeout, a.mv, a.input, a.md);
        expect(sameBytes(concatBytes(parts), want)).toBe(true);
        // The input is a part of its own, by reference: never copied.
        if (a.input.length > 0) expect(parts[1]).toBe(a.input);
        // And it is the InferenceRequest protobuf-es reads.
        const d = createFrameDecoder();
        d.push(whole);
        const f = d.next();
        expect(f?.type).toBe(FrameType.Open);
        const open = decodeOpenPayload(f?.payload ?? new Uint8Array(0));
        expect(open.timeoutMs).toBe(a.timeout);
        const ir = fromBinary(InferenceRequestSchema, open.body);
        expect(ir.modelVersion).toBe(a.mv);
        expect(sameBytes(ir.inputData, a.input)).toBe(true);
        // Metadata through our own decoder: protobuf-es drops a map key named "__proto__" (fast-check finds it).
        expect({ ...decodeInferenceRequest(open.body).metadata }).toEqual({ ...(a.md ?? {}) });
      }),
      { numRuns: 300 },
    );
  });

  it("a 256 KiB image request: same bytes as before, the image copied once into one buffer", () => {
    const image = new Uint8Array(256 * 1024);
    for (let i = 0; i < image.length; i++) image[i] = (i * 31 + 7) & 0xff;
    const req = create(GenerateRequestSchema, { model: "llava:7b", prompt: "describe", images: [image] });
    const inner = toBinary(GenerateRequestSchema, create(GenerateRequestSchema, { ...req, model: "" }));
    const want = twoStep(9, DataType.GENERATE_REQUEST, Method.Generate, 30_000, "llava:7b", inner, {
      "trace-id": "t1",
    });
    const got = encodeGenerateOpenFrame(9, req, 30_000, { "trace-id": "t1" });
    expect(sameBytes(got, want)).toBe(true);
    expect(got.byteOffset).toBe(0);
    expect(got.buffer.byteLength).toBe(want.length); // exactly one allocation of the frame's size
    expect(req.model).toBe("llava:7b"); // not modified
    // Without metadata or deadline too (the large-frame buffer is not zero-filled: every byte must be written).
    for (let i = 0; i < 5; i++) {
      const plain = encodeRequestOpenFrame(3, DataType.GENERATE_REQUEST, Method.Generate, 0, "llava:7b", inner);
      const plainWant = twoStep(3, DataType.GENERATE_REQUEST, Method.Generate, 0, "llava:7b", inner, undefined);
      expect(sameBytes(plain, plainWant)).toBe(true);
    }
    const parts = encodeRequestOpenFrameParts(
      9,
      DataType.GENERATE_REQUEST,
      Method.Generate,
      30_000,
      "llava:7b",
      inner,
      { "trace-id": "t1" },
    );
    expect(parts).toHaveLength(3);
    expect(parts[1]).toBe(inner);
    expect(sameBytes(concatBytes(parts), want)).toBe(true);
    expect(inner.length).toBeGreaterThanOrEqual(LARGE_INPUT_BYTES);
  });
});
