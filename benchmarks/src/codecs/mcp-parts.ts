/**
 * The MCP path split into layers, each a byte-to-byte codec that can be checked and timed on its own, so the
 * report can say what each step costs on top of bare Protobuf:
 * - `wrap`: GenerateRequest bytes ↔ InferenceRequest bytes (`model_version` + `input_data`) through the
 *   hand-written `encodeInferenceRequest` / `decodeInferenceRequest` of @modelwire/mcp's hot path
 *   (`wrap-reflective`: the same through protobuf-es reflection, for comparison);
 * - `open-frame`: InferenceRequest bytes ↔ OPEN frame (header, 8-byte prefix, body) through `encodeOpenFrame` and
 *   the frame decoder;
 * - `data-frame`: GenerateResponse bytes ↔ DATA frame through `encodeFrame` and the frame decoder.
 * The real client writes the InferenceRequest straight into the OPEN frame, and the real server and client code
 * content and final chunks by hand, so these layers are the *unfused* composition: their sum shows what the
 * fused hot path (the `mcp` case) saves.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, DataType, InferenceRequestSchema, ModelwireError } from "@modelwire/core";
import {
  createFrameDecoder,
  decodeOpenPayload,
  encodeFrame,
  encodeOpenFrame,
  FrameType,
  Method,
} from "@modelwire/mcp-codec";
import { decodeInferenceRequest, encodeInferenceRequest } from "@modelwire/mcp-codec/internal";
import type { Codec } from "./codec.js";
import { BENCH_STREAM_ID } from "./mcp-frame.js";
import { MAX_MESSAGE_BYTES } from "./protobuf.js";

/** GenerateRequest bytes in and out of an InferenceRequest with the hand-written codec @modelwire/mcp runs. */
export function wrapCodec(modelVersion: string): Codec<Uint8Array> {
  return {
    encode: (inner) => encodeInferenceRequest(modelVersion, inner, undefined),
    decode: (bytes) => decodeInferenceRequest(bytes).inputData,
  };
}

/** The same through protobuf-es reflection (`create` + `toBinary` / `fromBinary`): what the hand-written wrap saves. */
export function reflectiveWrapCodec(modelVersion: string): Codec<Uint8Array> {
  return {
    encode: (inner) =>
      toBinary(InferenceRequestSchema, create(InferenceRequestSchema, { modelVersion, inputData: inner })),
    decode: (bytes) => fromBinary(InferenceRequestSchema, bytes).inputData,
  };
}

function frameCodec(
  encode: (payload: Uint8Array) => Uint8Array,
  unwrap: (payload: Uint8Array) => Uint8Array,
): Codec<Uint8Array> {
  let decoder = createFrameDecoder({ maxFrameSize: MAX_MESSAGE_BYTES });
  return {
    encode,
    decode(bytes) {
      if (decoder.error) decoder = createFrameDecoder({ maxFrameSize: MAX_MESSAGE_BYTES });
      decoder.push(bytes);
      const f = decoder.next();
      if (f === undefined || decoder.buffered !== 0)
        throw new ModelwireError("expected one whole MCP frame", Code.InvalidArgument);
      return unwrap(f.payload);
    },
  };
}

/** InferenceRequest bytes in and out of an OPEN frame. */
export function openFrameCodec(): Codec<Uint8Array> {
  return frameCodec(
    (body) => encodeOpenFrame(BENCH_STREAM_ID, DataType.GENERATE_REQUEST, Method.Generate, 0, body),
    (payload) => decodeOpenPayload(payload).body,
  );
}

/** GenerateResponse bytes in and out of a DATA frame. */
export function dataFrameCodec(): Codec<Uint8Array> {
  return frameCodec(
    (payload) => encodeFrame({ type: FrameType.Data, streamId: BENCH_STREAM_ID, sequence: 0, payload }),
    (payload) => payload,
  );
}
