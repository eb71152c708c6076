/**
 * A proposal measured next to the MCP request path: the same OPEN frame bytes, with the InferenceRequest written
 * straight into the frame buffer (one allocation and one copy of the serialized GenerateRequest, where the client
 * today builds the InferenceRequest in its own buffer and `encodeOpenFrame` copies it again). Decoding is the same
 * as `mcpRequestCodec`'s. Wire-compatible with it (a test checks byte equality).
 */
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, DataType, type GenerateRequest, GenerateRequestSchema, ModelwireError } from "@modelwire/core";
import {
  createFrameDecoder,
  decodeOpenPayload,
  FrameType,
  HEADER_SIZE,
  Method,
  writeHeader,
} from "@modelwire/mcp-codec";
import type { Codec } from "./codec.js";
import { decodeInferenceRequest, inferenceRequestSize, writeInferenceRequest } from "./inference-request.js";
import { BENCH_STREAM_ID } from "./mcp-frame.js";
import { MAX_MESSAGE_BYTES } from "./protobuf.js";

const OPEN_PREFIX = 8;

/** Encodes the OPEN frame of a GenerateRequest with the InferenceRequest written by hand. */
export function encodeFusedOpenFrame(req: GenerateRequest): Uint8Array {
  const inner = toBinary(GenerateRequestSchema, req);
  const { model, size } = inferenceRequestSize(req.model, inner);
  const out = new Uint8Array(HEADER_SIZE + OPEN_PREFIX + size);
  writeHeader(out, 0, FrameType.Open, 0, DataType.GENERATE_REQUEST, BENCH_STREAM_ID, 0, OPEN_PREFIX + size);
  out[HEADER_SIZE] = Method.Generate; // bytes 1..7 of the prefix: reserved 0, timeout 0
  writeInferenceRequest(out, HEADER_SIZE + OPEN_PREFIX, model, inner);
  return out;
}

/** The fused request path: same bytes as `mcpRequestCodec`, one Protobuf pass each way. */
export function mcpFusedRequestCodec(): Codec<GenerateRequest> {
  let decoder = createFrameDecoder({ maxFrameSize: MAX_MESSAGE_BYTES });
  return {
    encode: encodeFusedOpenFrame,
    decode(bytes) {
      if (decoder.error) decoder = createFrameDecoder({ maxFrameSize: MAX_MESSAGE_BYTES });
      decoder.push(bytes);
      const f = decoder.next();
      if (f === undefined || decoder.buffered !== 0)
        throw new ModelwireError("expected one whole MCP frame", Code.InvalidArgument);
      if (f.type !== FrameType.Open)
        throw new ModelwireError(`expected OPEN, got frame type ${f.type}`, Code.InvalidArgument);
      return fromBinary(GenerateRequestSchema, decodeInferenceRequest(decodeOpenPayload(f.payload).body).inputData);
    },
  };
}
