/**
 * MCP (Model Communication Protocol, modelwire's binary framed protocol) frames through @modelwire/mcp-codec:
 * a request is an OPEN frame (20-byte header, 8-byte method/timeout prefix, then an InferenceRequest whose
 * `input_data` holds the serialized GenerateRequest; the InferenceRequest is written and read by hand, as
 * packages/mcp does since its commits c9537f1 and 296cb5b); a reply chunk is a DATA frame (the last one an END frame)
 * whose payload is the serialized GenerateResponse. Decoding runs the incremental frame decoder: one long-lived
 * decoder for single frames (as a connection keeps one), a fresh one per stream.
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
  encodeOpenFrame,
  type Frame,
  type FrameDecoder,
  FrameType,
  Method,
} from "@modelwire/mcp-codec";
import type { Codec, FrameReader, StreamCodec } from "./codec.js";
import { decodeInferenceRequest, encodeInferenceRequest } from "./inference-request.js";
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
 * Decodes one whole frame the way a connection does: with its long-lived decoder (one per connection, not per
 * frame). A decoder that failed is replaced, as a new connection would be.
 */
function singleFrameReader<T>(accept: (f: Frame) => T): (bytes: Uint8Array) => T {
  let decoder = newDecoder();
  return (bytes) => {
    if (decoder.error) decoder = newDecoder();
    decoder.push(bytes);
    const f = decoder.next();
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

/**
 * Encodes a GenerateRequest as the OPEN frame a client sends, as packages/mcp does: serialize the request,
 * wrap it in an InferenceRequest written by hand (its own buffer), then `encodeOpenFrame` (a second copy).
 */
export function encodeRequestFrame(req: GenerateRequest): Uint8Array {
  const body = encodeInferenceRequest(req.model, toBinary(GenerateRequestSchema, req));
  return encodeOpenFrame(BENCH_STREAM_ID, DataType.GENERATE_REQUEST, Method.Generate, 0, body);
}

/** What a server does with an OPEN frame: read the InferenceRequest without reflection, decode its GenerateRequest. */
export function acceptRequestFrame(f: Frame): GenerateRequest {
  if (f.type !== FrameType.Open || f.dataType !== DataType.GENERATE_REQUEST) {
    throw wrongFrame(f, "an OPEN frame of a GenerateRequest");
  }
  const inference = decodeInferenceRequest(decodeOpenPayload(f.payload).body);
  const req = fromBinary(GenerateRequestSchema, inference.inputData);
  if (!req.model) req.model = inference.modelVersion;
  return req;
}

/** Encodes one reply chunk as a DATA frame, or the final chunk (`done`) as the END frame. */
export function encodeResponseFrame(res: GenerateResponse, sequence: number): Uint8Array {
  return encodeFrame({
    type: res.done ? FrameType.End : FrameType.Data,
    streamId: BENCH_STREAM_ID,
    sequence,
    payload: toBinary(GenerateResponseSchema, res),
  });
}

/** What a client does with a DATA or END frame. */
export function acceptResponseFrame(f: Frame): GenerateResponse {
  if (f.type !== FrameType.Data && f.type !== FrameType.End) throw wrongFrame(f, "a DATA or END frame");
  return fromBinary(GenerateResponseSchema, f.payload);
}

/** Full MCP request frames. */
export function mcpRequestCodec(): Codec<GenerateRequest> & StreamCodec<GenerateRequest> {
  return {
    encode: encodeRequestFrame,
    decode: singleFrameReader(acceptRequestFrame),
    encodeFrame: (value) => encodeRequestFrame(value),
    createReader: () => frameReader(acceptRequestFrame),
  };
}

/** Full MCP reply frames. */
export function mcpResponseCodec(): Codec<GenerateResponse> & StreamCodec<GenerateResponse> {
  return {
    encode: (value) => encodeResponseFrame(value, 0),
    decode: singleFrameReader(acceptResponseFrame),
    encodeFrame: encodeResponseFrame,
    createReader: () => frameReader(acceptResponseFrame),
  };
}
