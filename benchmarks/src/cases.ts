/** The named cases: every payload class × every encoding that applies to it. */
import { type DescMessage, equals, type MessageShape, toBinary } from "@bufbuild/protobuf";
import {
  Code,
  type GenerateRequest,
  GenerateRequestSchema,
  type GenerateResponse,
  GenerateResponseSchema,
  ModelwireError,
} from "@modelwire/core";
import { LARGE_INPUT_BYTES } from "@modelwire/mcp-codec/internal";
import { avroRequestCodec, avroResponseCodec } from "./codecs/avro.js";
import type { Codec, StreamCodec } from "./codecs/codec.js";
import { grpcCodec } from "./codecs/grpc-envelope.js";
import { mcpRequestCodec, mcpRequestPartsCodec, mcpResponseCodec } from "./codecs/mcp-frame.js";
import { dataFrameCodec, openFrameCodec, reflectiveWrapCodec, wrapCodec } from "./codecs/mcp-parts.js";
import { msgpackRequestCodec, msgpackResponseCodec } from "./codecs/msgpack.js";
import { ollamaJsonRequestCodec, ollamaJsonResponseCodec, ollamaNdjsonResponseCodec } from "./codecs/ollama-json.js";
import { openaiChunkEquals, openaiSseResponseCodec, openaiStreamEquals } from "./codecs/openai-sse.js";
import { protobufBinaryCodec, protobufJsonCodec } from "./codecs/protobuf.js";
import { type Fixtures, type RequestClass, STREAM_TOKENS } from "./fixtures.js";
import type { BenchCase } from "./round-trip.js";

/** One encoding of one message type: a whole-message codec, a stream framing, or both. */
export interface Encoding<T> {
  /** Encoding name as it appears in case names and tables. */
  readonly name: string;
  /** Encodes one value to one self-contained buffer. */
  readonly codec?: Codec<T>;
  /** Frames values on a byte stream (used for streams; for single values when there is no `codec`). */
  readonly framing?: StreamCodec<T>;
  /** What a round trip must keep, when the encoding carries less than the message (default: every field). */
  readonly equals?: (a: T, b: T) => boolean;
  /** The same for a whole stream. */
  readonly streamEquals?: (a: readonly T[], b: readonly T[]) => boolean;
}

/** Every encoding name, in table order. */
export const ENCODINGS = [
  "ollama-json",
  "ollama-ndjson",
  "openai-sse",
  "protobuf",
  "protobuf-json",
  "grpc",
  "mcp",
  "avro",
  "msgpack",
] as const;

/** The encodings of GenerateRequest (NDJSON framing applies to replies only: a request body is one JSON document). */
export function requestEncodings(): Encoding<GenerateRequest>[] {
  return [
    { name: "ollama-json", codec: ollamaJsonRequestCodec() },
    { name: "protobuf", codec: protobufBinaryCodec(GenerateRequestSchema) },
    { name: "protobuf-json", codec: protobufJsonCodec(GenerateRequestSchema) },
    { name: "grpc", ...both(grpcCodec(GenerateRequestSchema)) },
    { name: "mcp", ...both(mcpRequestCodec()) },
    { name: "avro", codec: avroRequestCodec() },
    { name: "msgpack", codec: msgpackRequestCodec() },
  ];
}

/** The encodings of GenerateResponse. */
export function responseEncodings(): Encoding<GenerateResponse>[] {
  return [
    { name: "ollama-json", codec: ollamaJsonResponseCodec() },
    { name: "ollama-ndjson", framing: ollamaNdjsonResponseCodec() },
    {
      name: "openai-sse",
      framing: openaiSseResponseCodec(),
      equals: openaiChunkEquals,
      streamEquals: openaiStreamEquals,
    },
    { name: "protobuf", codec: protobufBinaryCodec(GenerateResponseSchema) },
    { name: "protobuf-json", codec: protobufJsonCodec(GenerateResponseSchema) },
    { name: "grpc", ...both(grpcCodec(GenerateResponseSchema)) },
    { name: "mcp", ...both(mcpResponseCodec()) },
    { name: "avro", codec: avroResponseCodec() },
    { name: "msgpack", codec: msgpackResponseCodec() },
  ];
}

function both<T>(c: Codec<T> & StreamCodec<T>): { codec: Codec<T>; framing: StreamCodec<T> } {
  return { codec: c, framing: c };
}

const messageEquals =
  <Desc extends DescMessage>(schema: Desc) =>
  (a: MessageShape<Desc>, b: MessageShape<Desc>) =>
    equals(schema, a, b);

/** Decodes the frames of a stream with one fresh reader, fed frame by frame as a socket would deliver them. */
function readFrames<T>(framing: StreamCodec<T>, frames: readonly Uint8Array[]): T[] {
  const reader = framing.createReader();
  const out: T[] = [];
  for (const f of frames) for (const v of reader.push(f)) out.push(v);
  if (reader.pending !== 0)
    throw new ModelwireError(`${reader.pending} bytes of a truncated frame left over`, Code.InvalidArgument);
  return out;
}

/** A single-message case: the codec if there is one, else one frame through the framing. */
export function singleCase<T>(
  payload: string,
  enc: Encoding<T>,
  input: T,
  probe: T,
  eq: (a: T, b: T) => boolean,
): BenchCase<T, Uint8Array> {
  const base = {
    name: `${payload}/${enc.name}`,
    payload,
    encoding: enc.name,
    input,
    probe,
    equals: enc.equals ?? eq,
    wireBytes: (w: Uint8Array) => w.length,
  };
  if (enc.codec) {
    const codec = enc.codec;
    return { ...base, encode: (v) => codec.encode(v), decode: (w) => codec.decode(w) };
  }
  const framing = enc.framing;
  if (!framing) throw new Error(`encoding ${enc.name} has neither codec nor framing`);
  return {
    ...base,
    encode: (v) => framing.encodeFrame(v, 0),
    decode(w) {
      const out = readFrames(framing, [w]);
      if (out.length !== 1) throw new ModelwireError(`expected one frame, read ${out.length}`, Code.InvalidArgument);
      return out[0];
    },
  };
}

/** A stream case: framed encodings frame every chunk and decode with one incremental reader; unframed ones encode each chunk on its own. */
export function streamCase<T>(
  payload: string,
  enc: Encoding<T>,
  input: readonly T[],
  probe: readonly T[],
  eq: (a: T, b: T) => boolean,
): BenchCase<readonly T[], Uint8Array[]> {
  const base = {
    name: `${payload}/${enc.name}`,
    payload,
    encoding: enc.name,
    input,
    probe,
    equals:
      enc.streamEquals ??
      ((a: readonly T[], b: readonly T[]) => a.length === b.length && a.every((x, i) => eq(x, b[i]))),
    wireBytes: (w: Uint8Array[]) => w.reduce((n, f) => n + f.length, 0),
  };
  const framing = enc.framing;
  if (framing)
    return {
      ...base,
      encode: (v) => v.map((x, i) => framing.encodeFrame(x, i)),
      decode: (w) => readFrames(framing, w),
    };
  const codec = enc.codec;
  if (!codec) throw new Error(`encoding ${enc.name} has neither codec nor framing`);
  return { ...base, encode: (v) => v.map((x) => codec.encode(x)), decode: (w) => w.map((f) => codec.decode(f)) };
}

/** Name of the stream payload class. */
export const STREAM_CLASS = `stream-${STREAM_TOKENS}`;

/** Every case, built from the timed fixtures and a second seed's fixtures as probes. */
export function buildCases(fixtures: Fixtures, probes: Fixtures): BenchCase[] {
  const cases: BenchCase[] = [];
  const reqEq = messageEquals(GenerateRequestSchema);
  const resEq = messageEquals(GenerateResponseSchema);
  const reqEncodings = requestEncodings();
  for (const cls of Object.keys(fixtures.requests) as RequestClass[]) {
    for (const enc of reqEncodings)
      cases.push(singleCase(cls, enc, fixtures.requests[cls], probes.requests[cls], reqEq) as BenchCase);
  }
  const resEncodings = responseEncodings();
  for (const enc of resEncodings)
    cases.push(singleCase("chunk-token", enc, fixtures.tokenChunk, probes.tokenChunk, resEq) as BenchCase);
  for (const enc of resEncodings)
    cases.push(singleCase("chunk-final", enc, fixtures.finalChunk, probes.finalChunk, resEq) as BenchCase);
  for (const enc of resEncodings)
    cases.push(streamCase(STREAM_CLASS, enc, fixtures.stream, probes.stream, resEq) as BenchCase);
  return cases;
}

/** Prefix of the encoding names of MCP layer cases (not encodings of their own: parts of `mcp`). */
export const MCP_PART_PREFIX = "mcp.";

/** The InferenceRequest wrap through protobuf-es reflection: a comparison, not a layer of today's path. */
export const MCP_REFLECTIVE_WRAP = "mcp.wrap-reflective";

/**
 * The request OPEN frame as parts without a copy of the serialized request (`encodeRequestOpenFrameParts`), what
 * the MCP client writes (one `writev`) when the serialized request is at least `LARGE_INPUT_BYTES`; same bytes as
 * `mcp`, counted over all parts.
 */
export const MCP_PARTS = "mcp.parts";

const bytesEqual = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * The MCP layers as their own cases, per class: `mcp.wrap` and `mcp.open-frame` for requests, `mcp.data-frame`
 * for reply chunks; with the `protobuf` case they make the unfused composition of the `mcp` case, which shows what
 * each step costs and what the real (fused) path saves. Request classes whose serialized request the client sends
 * as parts (at least `LARGE_INPUT_BYTES`) also get `mcp.parts`, that path timed as a whole.
 */
export function mcpPartCases(fixtures: Fixtures, probes: Fixtures): BenchCase[] {
  const cases: BenchCase[] = [];
  const part = (payload: string, name: string, codec: Codec<Uint8Array>, input: Uint8Array, probe: Uint8Array) =>
    cases.push(
      singleCase(payload, { name: `${MCP_PART_PREFIX}${name}`, codec }, input, probe, bytesEqual) as BenchCase,
    );
  const reqEq = messageEquals(GenerateRequestSchema);
  for (const cls of Object.keys(fixtures.requests) as RequestClass[]) {
    // As the client sends it: the model moves to the InferenceRequest's model_version.
    const inner = toBinary(GenerateRequestSchema, { ...fixtures.requests[cls], model: "" });
    const innerProbe = toBinary(GenerateRequestSchema, { ...probes.requests[cls], model: "" });
    const wrap = wrapCodec(fixtures.requests[cls].model);
    part(cls, "wrap", wrap, inner, innerProbe);
    part(
      cls,
      MCP_REFLECTIVE_WRAP.slice(MCP_PART_PREFIX.length),
      reflectiveWrapCodec(fixtures.requests[cls].model),
      inner,
      innerProbe,
    );
    part(cls, "open-frame", openFrameCodec(), wrap.encode(inner), wrap.encode(innerProbe));
    if (inner.length >= LARGE_INPUT_BYTES) {
      const codec = mcpRequestPartsCodec();
      const c: BenchCase<GenerateRequest, Uint8Array[]> = {
        name: `${cls}/${MCP_PARTS}`,
        payload: cls,
        encoding: MCP_PARTS,
        input: fixtures.requests[cls],
        probe: probes.requests[cls],
        equals: reqEq,
        wireBytes: (w) => w.reduce((n, p) => n + p.length, 0),
        encode: (v) => codec.encode(v),
        decode: (w) => codec.decode(w),
      };
      cases.push(c as BenchCase);
    }
  }
  const res = (m: GenerateResponse) => toBinary(GenerateResponseSchema, m);
  part("chunk-token", "data-frame", dataFrameCodec(), res(fixtures.tokenChunk), res(probes.tokenChunk));
  part("chunk-final", "data-frame", dataFrameCodec(), res(fixtures.finalChunk), res(probes.finalChunk));
  return cases;
}
