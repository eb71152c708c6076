import { clone, create, equals, toBinary } from "@bufbuild/protobuf";
import {
  DataType,
  type GenerateRequest,
  GenerateRequestSchema,
  type GenerateResponse,
  GenerateResponseSchema,
  InferenceRequestSchema,
} from "@modelwire/core";
import { encodeFrame, encodeOpenFrame, FrameType, Method } from "@modelwire/mcp-codec";
import { describe, expect, it } from "vitest";
import {
  buildCases,
  ENCODINGS,
  MCP_PART_PREFIX,
  MCP_PARTS,
  mcpPartCases,
  responseEncodings,
  STREAM_CLASS,
} from "./cases.js";
import {
  BENCH_STREAM_ID,
  encodeResponseFrame,
  mcpRequestCodec,
  mcpRequestPartsCodec,
  mcpResponseCodec,
} from "./codecs/mcp-frame.js";
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

  it("splits every request class into wrap + open-frame, every chunk class into data-frame; parts for >= 64 KiB", () => {
    expect(parts.map((p) => p.name).sort()).toEqual(
      [
        ...["req-small", "req-4k", "req-64k", "req-image-256k"].flatMap((c) => [
          `${c}/mcp.wrap`,
          `${c}/mcp.open-frame`,
          `${c}/mcp.wrap-reflective`,
        ]),
        `req-64k/${MCP_PARTS}`,
        `req-image-256k/${MCP_PARTS}`,
        "chunk-token/mcp.data-frame",
        "chunk-final/mcp.data-frame",
      ].sort(),
    );
    for (const p of parts) expect(p.encoding.startsWith(MCP_PART_PREFIX)).toBe(true);
  });

  it.each(parts.map((c) => [c.name, c] as const))("%s round-trips", (_name, c) => {
    expect(verifyRoundTrip(c).bytes).toBeGreaterThan(0);
  });

  it("layers and the parts path add up to the whole MCP wire size", () => {
    const bytes = (list: typeof cases, name: string) =>
      verifyRoundTrip(list.find((c) => c.name === name) as (typeof cases)[number]).bytes;
    expect(bytes(parts, "req-small/mcp.open-frame")).toBe(bytes(cases, "req-small/mcp"));
    expect(bytes(parts, `req-image-256k/${MCP_PARTS}`)).toBe(bytes(cases, "req-image-256k/mcp"));
  });
});

/** The OPEN frame built from protobuf-es reflection and the generic frame encoder: the reference bytes. */
function referenceOpenFrame(req: GenerateRequest): Uint8Array {
  const inner = toBinary(GenerateRequestSchema, { ...clone(GenerateRequestSchema, req), model: "" });
  const body = toBinary(
    InferenceRequestSchema,
    create(InferenceRequestSchema, { modelVersion: req.model, inputData: inner }),
  );
  return encodeOpenFrame(BENCH_STREAM_ID, DataType.GENERATE_REQUEST, Method.Generate, 0, body);
}

const concat = (parts: readonly Uint8Array[]) => Buffer.concat(parts.map((p) => Buffer.from(p)));

describe("mcp request: the real @modelwire/mcp path", () => {
  it.each(["req-small", "req-4k", "req-64k", "req-image-256k"] as const)(
    "one buffer and parts both write the reference OPEN bytes, and the server reads them back (%s)",
    (cls) => {
      const req = fixtures.requests[cls];
      const reference = Buffer.from(referenceOpenFrame(req));
      const whole = mcpRequestCodec().encode(req);
      const parts = mcpRequestPartsCodec().encode(req);
      expect(Buffer.from(whole).equals(reference)).toBe(true);
      expect(concat(parts).equals(reference)).toBe(true);
      expect(parts.length).toBeGreaterThan(1);
      // the request is left as it was (the encoder moves the model only for the time of serialization)
      expect(req.model).toBe(fixtures.requests[cls].model);
      expect(req.model).not.toBe("");
      for (const decoded of [mcpRequestCodec().decode(reference), mcpRequestPartsCodec().decode(parts)])
        expect(equals(GenerateRequestSchema, decoded, req)).toBe(true);
    },
  );

  it("refuses a reply frame, a truncated frame and trailing bytes with InvalidArgument", () => {
    const codec = mcpRequestCodec();
    const frame = codec.encode(fixtures.requests["req-small"]);
    const reply = encodeResponseFrame(fixtures.tokenChunk, 0);
    expect(() => codec.decode(reply)).toThrow(/expected an OPEN frame/);
    expect(() => codec.decode(frame.subarray(0, frame.length - 1))).toThrow(/exactly one whole MCP frame/);
    expect(() => codec.decode(Buffer.concat([frame, reply]))).toThrow(/exactly one whole MCP frame/);
    // and a fresh frame decodes again afterwards
    expect(equals(GenerateRequestSchema, codec.decode(frame), fixtures.requests["req-small"])).toBe(true);
  });
});

describe("mcp reply: the server's chunk encoders and the client's chunk decoders", () => {
  const reference = (m: GenerateResponse, sequence: number) =>
    Buffer.from(
      encodeFrame({
        type: m.done ? FrameType.End : FrameType.Data,
        streamId: BENCH_STREAM_ID,
        sequence,
        payload: toBinary(GenerateResponseSchema, m),
      }),
    );

  it("writes the bytes of toBinary + encodeFrame for content (DATA) and final (END) chunks, and reads them back", () => {
    const codec = mcpResponseCodec();
    for (const [i, m] of fixtures.stream.entries()) {
      const frame = codec.encodeFrame(m, i);
      expect(Buffer.from(frame).equals(reference(m, i))).toBe(true);
      expect(equals(GenerateResponseSchema, codec.decode(frame), m)).toBe(true);
    }
    expect(fixtures.stream.at(-1)?.done).toBe(true);
  });

  it("falls back to protobuf-es for what the hand-written codecs decline (context), with the same bytes", () => {
    const withContext = create(GenerateResponseSchema, { ...clone(GenerateResponseSchema, fixtures.finalChunk) });
    withContext.context = [1, 2, 300];
    const codec = mcpResponseCodec();
    const frame = codec.encode(withContext);
    expect(Buffer.from(frame).equals(reference(withContext, 0))).toBe(true);
    expect(equals(GenerateResponseSchema, codec.decode(frame), withContext)).toBe(true);
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
      const same = enc.equals ?? ((a, b) => equals(GenerateResponseSchema, a, b));
      for (const [i, v] of out.entries()) expect(same(v, fixtures.stream[i])).toBe(true);
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
