import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { DurationSchema } from "@bufbuild/protobuf/wkt";
import { DataType, type GenerateRequest, GenerateRequestSchema, OptionsSchema, ThinkSchema } from "@modelwire/core";
import { generateRequests } from "@modelwire/test-kit/arbitraries";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Method } from "../constants.js";
import { decodeOpenPayload } from "../control.js";
import { createFrameDecoder } from "../decoder.js";
import { sameBytes } from "../test-support/bytes.js";
import { encodeGenerateRequest, planGenerateRequest } from "./generate-request.js";
import { decodeInferenceRequest } from "./inference-request-decode.js";
import { encodeGenerateOpenFrame, encodeGenerateOpenFrameSlow, encodeRequestOpenFrame } from "./open-frame.js";

const request = generateRequests();

/** What a string reads back as: TextEncoder writes a lone surrogate as U+FFFD. */
const wellFormed = (s: string) => new TextDecoder().decode(new TextEncoder().encode(s));

/** `r` as it must read back from its encoding: strings well-formed (the rest is exact, floats are float32 here). */
function readBack(r: GenerateRequest): GenerateRequest {
  const t = r.think?.value;
  return create(GenerateRequestSchema, {
    ...r,
    model: wellFormed(r.model),
    prompt: wellFormed(r.prompt),
    suffix: wellFormed(r.suffix),
    system: wellFormed(r.system),
    template: wellFormed(r.template),
    format: wellFormed(r.format),
    options: r.options && create(OptionsSchema, { ...r.options, stop: r.options.stop.map(wellFormed) }),
    think:
      t?.case === "level" ? create(ThinkSchema, { value: { case: "level", value: wellFormed(t.value) } }) : r.think,
  });
}

const withoutModel = (r: GenerateRequest) => create(GenerateRequestSchema, { ...r, model: "" });

function openPayload(frame: Uint8Array) {
  const d = createFrameDecoder({ maxFrameSize: 64 * 1024 * 1024 });
  d.push(frame);
  const f = d.next();
  if (!f || d.buffered !== 0) throw new Error("expected one whole frame");
  return decodeInferenceRequest(decodeOpenPayload(f.payload).body);
}

describe("encodeGenerateRequest", () => {
  it("is byte-identical to toBinary for arbitrary requests, and fromBinary gives the request back", () => {
    fc.assert(
      fc.property(request, (req) => {
        const got = encodeGenerateRequest(req);
        expect(got).toBeDefined();
        expect(sameBytes(got as Uint8Array, toBinary(GenerateRequestSchema, req))).toBe(true);
        // toEqual: NaN equals NaN, -0 differs from 0.
        expect(fromBinary(GenerateRequestSchema, got as Uint8Array)).toEqual(readBack(req));
        // omitModel writes the request as if its model were empty.
        const inner = encodeGenerateRequest(req, true) as Uint8Array;
        expect(sameBytes(inner, toBinary(GenerateRequestSchema, withoutModel(req)))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("writes long strings (native path) byte-identical to toBinary, lone surrogates and multi-byte included", () => {
    const long = fc
      .array(fc.constantFrom("a", "é", "日", "🙂", "\ud800", "\udc00", " ", "z"), { minLength: 65, maxLength: 400 })
      .map((parts) => parts.join(""));
    fc.assert(
      fc.property(long, long, (prompt, system) => {
        const req = create(GenerateRequestSchema, { model: "m", prompt, system, options: { stop: [prompt] } });
        expect(encodeGenerateRequest(req)).toEqual(toBinary(GenerateRequestSchema, req));
      }),
    );
  });

  it("rounds any double to float32 as protobuf-es does (same bytes)", () => {
    fc.assert(
      fc.property(fc.double({ min: -3.4e38, max: 3.4e38 }), (v) => {
        const req = create(GenerateRequestSchema, { options: create(OptionsSchema, { temperature: v, topP: v }) });
        const got = encodeGenerateRequest(req) as Uint8Array;
        expect(sameBytes(got, toBinary(GenerateRequestSchema, req))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("writes the edge values as protobuf-es does: negative varints, -0/NaN floats, empty oneof and repeated members", () => {
    const req = create(GenerateRequestSchema, {
      prompt: "\ud800 lone",
      context: [-1, 0, -0, 2 ** 31 - 1, -(2 ** 31)],
      stream: false,
      keepAlive: create(DurationSchema, { seconds: -1n, nanos: -5 }),
      images: [new Uint8Array(0), new Uint8Array([1, 2])],
      options: create(OptionsSchema, {
        seed: -(2n ** 63n),
        numKeep: 0,
        numCtx: -0,
        topP: -0,
        minP: Number.NaN,
        stop: [""],
      }),
      think: create(ThinkSchema, { value: { case: "level", value: "" } }),
    });
    const got = encodeGenerateRequest(req) as Uint8Array;
    expect(sameBytes(got, toBinary(GenerateRequestSchema, req))).toBe(true);
    const back = fromBinary(GenerateRequestSchema, got);
    expect(back.stream).toBe(false);
    expect(back.options?.numKeep).toBe(0);
    expect(Object.is(back.options?.topP, -0)).toBe(true);
    expect(back.options?.seed).toBe(-(2n ** 63n));
    expect(back.think?.value).toEqual({ case: "level", value: "" });
  });

  it("declines what it does not write or protobuf-es rejects", () => {
    const unknown = create(GenerateRequestSchema, { prompt: "p" });
    unknown.$unknown = [{ no: 99, wireType: 0, data: new Uint8Array([1]) }];
    const unknownOptions = create(GenerateRequestSchema, { options: create(OptionsSchema, { topK: 1 }) });
    (unknownOptions.options as { $unknown?: unknown }).$unknown = [{ no: 99, wireType: 0, data: new Uint8Array([1]) }];
    const bad = [
      unknown,
      unknownOptions,
      create(GenerateRequestSchema, { context: [1.5] }),
      create(GenerateRequestSchema, { context: [2 ** 31] }),
      create(GenerateRequestSchema, { options: create(OptionsSchema, { temperature: 1e39 }) }),
      create(GenerateRequestSchema, { options: create(OptionsSchema, { seed: 2n ** 63n }) }),
    ];
    for (const req of bad) {
      expect(planGenerateRequest(req)).toBeUndefined();
      expect(encodeGenerateRequest(req)).toBeUndefined();
    }
    // The fallback keeps protobuf-es's behaviour: unknown fields are carried, invalid values are reported.
    const frame = encodeGenerateOpenFrame(1, unknown);
    expect(sameBytes(frame, encodeGenerateOpenFrameSlow(1, unknown))).toBe(true);
    expect(fromBinary(GenerateRequestSchema, openPayload(frame).inputData).$unknown).toHaveLength(1);
    expect(() => encodeGenerateOpenFrame(1, bad[4])).toThrow(/float32/);
  });
});

describe("encodeGenerateOpenFrame", () => {
  it("gives the old path's bytes (toBinary, then the frame encoder) for arbitrary requests", () => {
    const md = fc.option(fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }), {
      nil: undefined,
    });
    fc.assert(
      fc.property(request, fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.nat(), md, (req, id, timeout, metadata) => {
        const want = encodeRequestOpenFrame(
          id,
          DataType.GENERATE_REQUEST,
          Method.Generate,
          timeout,
          req.model,
          toBinary(GenerateRequestSchema, withoutModel(req)),
          metadata,
        );
        const model = req.model;
        const got = encodeGenerateOpenFrame(id, req, timeout, metadata);
        expect(req.model).toBe(model); // not modified
        expect(sameBytes(got, want)).toBe(true);
        expect(sameBytes(got, encodeGenerateOpenFrameSlow(id, req, timeout, metadata))).toBe(true);
        const ir = openPayload(got);
        expect(ir.modelVersion).toBe(new TextDecoder().decode(new TextEncoder().encode(model)));
        expect(fromBinary(GenerateRequestSchema, ir.inputData)).toEqual(readBack(withoutModel(req)));
      }),
      { numRuns: 300 },
    );
  });

  it("large images: same bytes as the old path, one buffer of the frame's size", () => {
    for (const size of [64 * 1024 - 50, 256 * 1024, 3 * 1024 * 1024 + 7]) {
      const a = new Uint8Array(size);
      for (let i = 0; i < a.length; i++) a[i] = (i * 131 + 17) & 0xff;
      const req = create(GenerateRequestSchema, {
        model: "llava:7b",
        prompt: "what?",
        images: [a, a.subarray(5, 999)],
      });
      const got = encodeGenerateOpenFrame(7, req, 1000, { k: "v" });
      const want = encodeGenerateOpenFrameSlow(7, req, 1000, { k: "v" });
      expect(sameBytes(got, want)).toBe(true);
      expect(got.byteOffset).toBe(0);
      expect(got.buffer.byteLength).toBe(got.length);
    }
  });
});
