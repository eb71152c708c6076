/**
 * The MCP path split into its layers, each a byte-to-byte codec that can be checked and timed on its own, so the
 * report can say which layer costs what on top of bare Protobuf:
 * - `wrap`: GenerateRequest bytes ↔ InferenceRequest bytes (`model_version` + `input_data`), written and read by
 *   hand as packages/mcp does (`wrap-reflective`: the same through protobuf-es reflection, for comparison);
 * - `open-frame`: InferenceRequest bytes ↔ OPEN frame (header, 8-byte prefix, body) through the frame decoder;
 * - `data-frame`: GenerateResponse bytes ↔ DATA frame through the frame decoder.
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
import type { Codec } from "./codec.js";
import { decodeInferenceRequest, encodeInferenceRequest } from "./inference-request.js";
import { BENCH_STREAM_ID } from "./mcp-frame.js";
import { MAX_MESSAGE_BYTES } from "./protobuf.js";

/** GenerateRequest bytes in and out of an InferenceRequest, by hand (what packages/mcp does). */
export function wrapCodec(modelVersion: string): Codec<Uint8Array> {
  return {
    encode: (inner) => encodeInferenceRequest(modelVersion, inner),
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
