import { create, equals, toBinary } from "@bufbuild/protobuf";
import {
  Code,
  GenerateRequestSchema,
  GenerateResponseSchema,
  InferenceRequestSchema,
  ModelwireError,
} from "@modelwire/core";
import { describe, expect, it } from "vitest";
import { buildCases, ENCODINGS, MCP_PART_PREFIX, mcpPartCases, responseEncodings, STREAM_CLASS } from "./cases.js";
import { decodeInferenceRequest, encodeInferenceRequest } from "./codecs/inference-request.js";
import { mcpRequestCodec } from "./codecs/mcp-frame.js";
import { mcpFusedRequestCodec } from "./codecs/mcp-fused.js";
import { createFixtures } from "./fixtures.js";
import { verifyRoundTrip } from "./round-trip.js";

const fixtures = createFixtures(7);
const probes = createFixtures(8);
const cases = buildCases(fixtures, probes);

describe("buildCases", () => {
  it("names every case uniquely as payload/encoding", () => {
    const names = cases.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const c of cases) expect(c.name).toBe(`${c.payload}/${c.encoding}`);
  });

  it("covers every request class with 7 encodings and every reply class with 8", () => {
    const count = (p: string) => cases.filter((c) => c.payload === p).length;
    for (const p of ["req-small", "req-4k", "req-64k", "req-image-256k"]) expect(count(p)).toBe(7);
    for (const p of ["chunk-token", "chunk-final", STREAM_CLASS]) expect(count(p)).toBe(ENCODINGS.length);
  });

  it.each(cases.map((c) => [c.name, c] as const))("%s round-trips", (_name, c) => {
    const { bytes } = verifyRoundTrip(c);
    expect(bytes).toBeGreaterThan(0);
  });

  it("frames add exactly their header: gRPC 5 bytes, MCP 20 per reply frame, NDJSON 1", () => {
    const bytes = (name: string) => verifyRoundTrip(cases.find((c) => c.name === name) as (typeof cases)[number]).bytes;
    const pb = bytes("chunk-token/protobuf");
    expect(bytes("chunk-token/grpc")).toBe(pb + 5);
    expect(bytes("chunk-token/mcp")).toBe(pb + 20);
    expect(bytes("chunk-token/ollama-ndjson")).toBe(bytes("chunk-token/ollama-json") + 1);
    const streamPb = bytes(`${STREAM_CLASS}/protobuf`);
    expect(bytes(`${STREAM_CLASS}/grpc`)).toBe(streamPb + 5 * fixtures.stream.length);
    expect(bytes(`${STREAM_CLASS}/mcp`)).toBe(streamPb + 20 * fixtures.stream.length);
  });

  it("orders the image payload by encoding size as expected: base64 JSON carries a third more than raw bytes", () => {
    const json = verifyRoundTrip(
      cases.find((c) => c.name === "req-image-256k/ollama-json") as (typeof cases)[number],
    ).bytes;
    const pb = verifyRoundTrip(cases.find((c) => c.name === "req-image-256k/protobuf") as (typeof cases)[number]).bytes;
    expect(json / pb).toBeGreaterThan(1.3);
    expect(json / pb).toBeLessThan(1.4);
  });
});

describe("mcpPartCases", () => {
  const parts = mcpPartCases(fixtures, probes);

  it("splits every request class into wrap + open-frame (+ the fused proposal), every chunk class into data-frame", () => {
    expect(parts.map((p) => p.name).sort()).toEqual(
      [
        ...["req-small", "req-4k", "req-64k", "req-image-256k"].flatMap((c) => [
          `${c}/mcp.wrap`,
          `${c}/mcp.open-frame`,
          `${c}/mcp.fused`,
          `${c}/mcp.wrap-reflective`,
        ]),
        "chunk-token/mcp.data-frame",
        "chunk-final/mcp.data-frame",
      ].sort(),
    );
    for (const p of parts) expect(p.encoding.startsWith(MCP_PART_PREFIX)).toBe(true);
  });

  it.each(parts.map((c) => [c.name, c] as const))("%s round-trips", (_name, c) => {
    expect(verifyRoundTrip(c).bytes).toBeGreaterThan(0);
  });

  it("layers add up to the whole MCP wire size", () => {
    const whole = cases.find((c) => c.name === "req-small/mcp") as (typeof cases)[number];
    const frame = parts.find((c) => c.name === "req-small/mcp.open-frame") as (typeof parts)[number];
    expect(verifyRoundTrip(frame).bytes).toBe(verifyRoundTrip(whole).bytes);
  });
});

describe("mcp.fused", () => {
  it.each(["req-small", "req-image-256k"] as const)(
    "writes exactly the bytes of the real MCP request path (%s)",
    (cls) => {
      const real = mcpRequestCodec().encode(fixtures.requests[cls]);
      const fused = mcpFusedRequestCodec().encode(fixtures.requests[cls]);
      expect(Buffer.from(fused).equals(Buffer.from(real))).toBe(true);
      // and each reads the other's frames
      expect(equals(GenerateRequestSchema, mcpRequestCodec().decode(fused), fixtures.requests[cls])).toBe(true);
      expect(equals(GenerateRequestSchema, mcpFusedRequestCodec().decode(real), fixtures.requests[cls])).toBe(true);
    },
  );
});

describe("hand-written InferenceRequest", () => {
  it.each([
    ["llama3.2:1b", 3],
    ["", 3],
    ["m", 0],
    ["ünïcode-模型", 300],
  ] as const)("writes the bytes protobuf-es writes (model %j, %i input bytes)", (model, n) => {
    const input = new Uint8Array(n).map((_, i) => i & 0xff);
    const mine = encodeInferenceRequest(model, input);
    const reference = toBinary(
      InferenceRequestSchema,
      create(InferenceRequestSchema, { modelVersion: model, inputData: input }),
    );
    expect(Array.from(mine)).toEqual(Array.from(reference));
    const back = decodeInferenceRequest(mine);
    expect(back.modelVersion).toBe(model);
    expect(Array.from(back.inputData)).toEqual(Array.from(input));
  });

  it("skips metadata and unknown fields, refuses malformed input with InvalidArgument", () => {
    const withMetadata = toBinary(
      InferenceRequestSchema,
      create(InferenceRequestSchema, { modelVersion: "m", inputData: Uint8Array.of(1, 2), metadata: { trace: "x" } }),
    );
    expect(Array.from(decodeInferenceRequest(withMetadata).inputData)).toEqual([1, 2]);
    const codeOf = (b: Uint8Array) => {
      try {
        decodeInferenceRequest(b);
      } catch (e) {
        return e instanceof ModelwireError ? e.code : "other";
      }
      return "ok";
    };
    expect(codeOf(Uint8Array.of(0x12, 0x09, 1, 2))).toBe(Code.InvalidArgument);
    expect(codeOf(Uint8Array.of(0x12))).toBe(Code.InvalidArgument);
    expect(codeOf(Uint8Array.of(0x0b))).toBe(Code.InvalidArgument);
    expect(codeOf(Uint8Array.of(0x02, 0x00))).toBe(Code.InvalidArgument);
  });
});

describe("framed readers", () => {
  // Re-chunks the concatenated frames at every size from 1 byte up: readers must reassemble across boundaries.
  it.each(
    responseEncodings()
      .filter((e) => e.framing)
      .map((e) => [e.name, e] as const),
  )("%s decodes the stream whatever the chunking", (_name, enc) => {
    const framing = enc.framing as NonNullable<typeof enc.framing>;
    const frames = fixtures.stream.slice(0, 5).map((v, i) => framing.encodeFrame(v, i));
    const all = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
    let o = 0;
    for (const f of frames) {
      all.set(f, o);
      o += f.length;
    }
    for (const size of [1, 2, 3, 7, 19, 64, all.length]) {
      const reader = framing.createReader();
      const out = [];
      for (let i = 0; i < all.length; i += size) out.push(...reader.push(all.subarray(i, i + size)));
      expect(reader.pending).toBe(0);
      expect(out.length).toBe(5);
      for (const [i, v] of out.entries()) expect(equals(GenerateResponseSchema, v, fixtures.stream[i])).toBe(true);
    }
  });

  it.each(
    responseEncodings()
      .filter((e) => e.framing)
      .map((e) => [e.name, e] as const),
  )("%s holds a truncated frame as pending instead of emitting it", (_name, enc) => {
    const framing = enc.framing as NonNullable<typeof enc.framing>;
    const frame = framing.encodeFrame(fixtures.tokenChunk, 0);
    const reader = framing.createReader();
    expect(reader.push(frame.subarray(0, frame.length - 1))).toEqual([]);
    // > 0, not = length − 1: the MCP decoder stops counting a header once parsed (reported to the lead).
    expect(reader.pending).toBeGreaterThan(0);
  });
});
