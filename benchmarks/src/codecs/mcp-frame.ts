/**
 * MCP (Model Communication Protocol, modelwire's binary framed protocol) frames through the real hot path of
 * @modelwire/mcp (its codecs, in @modelwire/mcp-codec/internal), not a copy of it:
 * - a request is the OPEN frame the client sends for `generate` (`encodeGenerateOpenFrame`: the model name moves to
 *   `InferenceRequest.model_version`, the InferenceRequest is written in place, one buffer), read as the server
 *   reads it (frame decoder, `decodeOpenPayload`, `decodeRequest`);
 * - a reply chunk is the DATA frame (the final one the END frame) the server writes with its hand-written chunk
 *   encoders (`encodeContentChunkFrame` / `encodeFinalChunkFrame`, protobuf-es when they decline), read as the
 *   client reads it (`decodeContentChunk` / `decodeFinalChunk`, `fromBinary` when they decline).
 * Decoding runs the incremental frame decoder: one long-lived decoder for single frames (as a connection keeps
 * one), a fresh one per stream.
 */
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  Code,
  DataType,
  type GenerateRequest,
  GenerateRequestSchema,
  type GenerateResponse,
  GenerateResponseSchema,
  ModelwireError,
} from "@modelwire/core";
import {
  createFrameDecoder,
  decodeOpenPayload,
  encodeFrame,
  type Frame,
  type FrameDecoder,
  FrameType,
  Method,
} from "@modelwire/mcp-codec";
import {
  decodeContentChunk,
  decodeFinalChunk,
  decodeRequest,
  encodeContentChunkFrame,
  encodeFinalChunkFrame,
  encodeGenerateOpenFrame,
  encodeRequestOpenFrameParts,
} from "@modelwire/mcp-codec/internal";
import type { Codec, FrameReader, StreamCodec } from "./codec.js";
import { MAX_MESSAGE_BYTES } from "./protobuf.js";

/** The stream id the bench frames carry. */
export const BENCH_STREAM_ID = 1;

function frameReader<T>(accept: (f: Frame) => T, decoder: FrameDecoder = newDecoder()): FrameReader<T> {
  return {
    get pending() {
      return decoder.buffered;
    },
    push(chunk) {
      decoder.push(chunk);
      const out: T[] = [];
      for (let f = decoder.next(); f !== undefined; f = decoder.next()) out.push(accept(f));
      return out;
    },
  };
}

function newDecoder(): FrameDecoder {
  return createFrameDecoder({ maxFrameSize: MAX_MESSAGE_BYTES });
}

/**
 * Decodes the frame carried by `parts` (one buffer, or the parts of one frame as a socket would deliver them) the
 * way a connection does: with its long-lived decoder (one per connection, not per frame). A decoder that failed is
 * replaced, as a new connection would be.
 */
function singleFrameReader<T>(accept: (f: Frame) => T): (parts: Uint8Array | readonly Uint8Array[]) => T {
  let decoder = newDecoder();
  return (parts) => {
    if (decoder.error) decoder = newDecoder();
    let f: Frame | undefined;
    if (parts instanceof Uint8Array) {
      decoder.push(parts);
      f = decoder.next();
    } else {
      for (const p of parts) {
        if (f !== undefined) break;
        decoder.push(p);
        f = decoder.next();
      }
    }
    if (f === undefined || decoder.buffered !== 0) {
      decoder = newDecoder();
      throw new ModelwireError("expected exactly one whole MCP frame", Code.InvalidArgument);
    }
    return accept(f);
  };
}

function wrongFrame(f: Frame, want: string): ModelwireError {
  return new ModelwireError(`expected ${want}, got frame type ${f.type} on stream ${f.streamId}`, Code.InvalidArgument);
}

/** The OPEN frame the MCP client sends for `generate` (one buffer): `encodeGenerateOpenFrame`. */
export function encodeRequestFrame(req: GenerateRequest): Uint8Array {
  return encodeGenerateOpenFrame(BENCH_STREAM_ID, req);
}

/**
 * The same OPEN frame as parts, without copying the serialized request (what the client writes, with one
 * `writev`, when that is at least `LARGE_INPUT_BYTES`): the GenerateRequest is serialized with its model moved to
 * `model_version`, as `encodeGenerateOpenFrame` does.
 */
export function encodeRequestFrameParts(req: GenerateRequest): Uint8Array[] {
  const model = req.model;
  req.model = "";
  let inner: Uint8Array;
  try {
    inner = toBinary(GenerateRequestSchema, req);
  } finally {
    req.model = model;
  }
  return encodeRequestOpenFrameParts(BENCH_STREAM_ID, DataType.GENERATE_REQUEST, Method.Generate, 0, model, inner);
}

/** What the MCP server does with an OPEN frame: `decodeOpenPayload`, then `decodeRequest` (the real one). */
export function acceptRequestFrame(f: Frame): GenerateRequest {
  if (f.type !== FrameType.Open) throw wrongFrame(f, "an OPEN frame");
  const open = decodeOpenPayload(f.payload);
  const decoded = decodeRequest(open.method, f.dataType, open.body);
  if (decoded.method !== Method.Generate) throw wrongFrame(f, "an OPEN frame of a generate call");
  return decoded.request;
}

/**
 * Encodes one reply chunk as the MCP server does: a content chunk as a DATA frame, the final chunk (`done`) as the
 * END frame, through the hand-written chunk encoders, or protobuf-es + `encodeFrame` when they decline.
 */
export function encodeResponseFrame(res: GenerateResponse, sequence: number): Uint8Array {
  const frame = res.done
    ? encodeFinalChunkFrame(BENCH_STREAM_ID, sequence, res)
    : encodeContentChunkFrame(BENCH_STREAM_ID, sequence, res);
  return (
    frame ??
    encodeFrame({
      type: res.done ? FrameType.End : FrameType.Data,
      streamId: BENCH_STREAM_ID,
      sequence,
      payload: toBinary(GenerateResponseSchema, res),
    })
  );
}

/** What the MCP client does with a DATA or END frame: the hand-written chunk decoders, else `fromBinary`. */
export function acceptResponseFrame(f: Frame): GenerateResponse {
  if (f.type === FrameType.Data) return decodeContentChunk(f.payload) ?? fromBinary(GenerateResponseSchema, f.payload);
  if (f.type === FrameType.End) return decodeFinalChunk(f.payload) ?? fromBinary(GenerateResponseSchema, f.payload);
  throw wrongFrame(f, "a DATA or END frame");
}

/** Full MCP request frames, one buffer each (`encodeGenerateOpenFrame`). */
export function mcpRequestCodec(): Codec<GenerateRequest> & StreamCodec<GenerateRequest> {
  return {
    encode: encodeRequestFrame,
    decode: singleFrameReader(acceptRequestFrame),
    encodeFrame: (value) => encodeRequestFrame(value),
    createReader: () => frameReader(acceptRequestFrame),
  };
}

/** A codec whose wire form is several buffers that together make one frame. */
export interface PartsCodec<T> {
  /** Encodes a value to the consecutive parts of one frame. */
  encode(value: T): Uint8Array[];
  /** Decodes the parts of one frame, fed to the decoder one by one. */
  decode(parts: readonly Uint8Array[]): T;
}

/** Full MCP request frames as parts (`encodeRequestOpenFrameParts`: the serialized request is not copied). */
export function mcpRequestPartsCodec(): PartsCodec<GenerateRequest> {
  return { encode: encodeRequestFrameParts, decode: singleFrameReader(acceptRequestFrame) };
}

/** Full MCP reply frames (the server's chunk encoders, the client's chunk decoders). */
export function mcpResponseCodec(): Codec<GenerateResponse> & StreamCodec<GenerateResponse> {
  return {
    encode: (value) => encodeResponseFrame(value, 0),
    decode: singleFrameReader(acceptResponseFrame),
    encodeFrame: encodeResponseFrame,
    createReader: () => frameReader(acceptResponseFrame),
  };
}
