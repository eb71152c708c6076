/**
 * The client's OPEN frame with its `InferenceRequest` body written in place: one allocation and one copy of the
 * request input (the serialized GenerateRequest, an image ...), where encoding the InferenceRequest into its own
 * buffer and then framing it would copy the input twice. {@link encodeRequestOpenFrameParts} goes further for large
 * inputs: the input is not copied at all, the frame is handed to the socket as parts (one `writev`).
 *
 * Both produce exactly the bytes of
 * `encodeOpenFrame(streamId, dataType, method, timeoutMs, encodeInferenceRequest(modelVersion, input, metadata))`.
 */

import { create, isMessage, toBinary } from "@bufbuild/protobuf";
import { DataType, type GenerateRequest, type GenerateRequestInit, GenerateRequestSchema } from "@modelwire/core";
import { FrameType, HEADER_SIZE, Method, writeHeader } from "@modelwire/mcp-codec";
import { planGenerateRequest, writeGenerateRequest } from "./generate-request.js";
import {
  type InferenceRequestPlan,
  planInferenceRequest,
  writeInferenceRequest,
  writeInferenceRequestHead,
  writeInferenceRequestTail,
} from "./inference-request.js";
import { allocFrame } from "./slab.js";

/** The OPEN payload's fixed prefix: method, 3 reserved bytes, timeoutMs. */
const OPEN_PREFIX = 8;

/** Inputs at least this long are sent as frame parts (no copy) by the client. */
export const LARGE_INPUT_BYTES = 64 * 1024;

function writeOpenHead(
  out: Uint8Array,
  streamId: number,
  dataType: number,
  method: Method,
  timeoutMs: number,
  plan: InferenceRequestPlan,
): number {
  writeHeader(out, 0, FrameType.Open, 0, dataType, streamId, 0, OPEN_PREFIX + plan.size);
  out[HEADER_SIZE] = method;
  out[HEADER_SIZE + 1] = 0; // reserved (written: the buffer may be uninitialized)
  out[HEADER_SIZE + 2] = 0;
  out[HEADER_SIZE + 3] = 0;
  const t = HEADER_SIZE + 4;
  out[t] = timeoutMs >>> 24;
  out[t + 1] = (timeoutMs >>> 16) & 0xff;
  out[t + 2] = (timeoutMs >>> 8) & 0xff;
  out[t + 3] = timeoutMs & 0xff;
  return HEADER_SIZE + OPEN_PREFIX;
}

/**
 * Encodes a whole OPEN frame whose body is the InferenceRequest `{modelVersion, input, metadata}`, in one buffer
 * with one copy of `input`. `timeoutMs` is the OPEN prefix's relative deadline (0 = none).
 */
export function encodeRequestOpenFrame(
  streamId: number,
  dataType: number,
  method: Method,
  timeoutMs: number,
  modelVersion: string,
  input: Uint8Array,
  metadata?: Record<string, string>,
): Uint8Array {
  const plan = planInferenceRequest(modelVersion, input.length, metadata);
  const size = HEADER_SIZE + OPEN_PREFIX + plan.size;
  // Every byte is written below, so a large frame skips the zero-fill (one pass over the input, not two).
  const out = size >= LARGE_INPUT_BYTES ? Buffer.allocUnsafeSlow(size) : allocFrame(size);
  writeInferenceRequest(out, writeOpenHead(out, streamId, dataType, method, timeoutMs, plan), plan, input);
  return out;
}

/**
 * The same frame as {@link encodeRequestOpenFrame} as consecutive parts, without copying `input`: the header,
 * prefix and fields before the input; `input` itself; and the metadata after it (omitted when empty). Write them
 * in order (e.g. with `FrameWriter.writeParts`, one `writev`).
 */
export function encodeRequestOpenFrameParts(
  streamId: number,
  dataType: number,
  method: Method,
  timeoutMs: number,
  modelVersion: string,
  input: Uint8Array,
  metadata?: Record<string, string>,
): Uint8Array[] {
  const plan = planInferenceRequest(modelVersion, input.length, metadata);
  const head = allocFrame(HEADER_SIZE + OPEN_PREFIX + plan.headSize);
  writeInferenceRequestHead(head, writeOpenHead(head, streamId, dataType, method, timeoutMs, plan), plan);
  if (plan.tailSize === 0) return input.length > 0 ? [head, input] : [head];
  const tail = new Uint8Array(plan.tailSize);
  writeInferenceRequestTail(tail, 0, plan);
  return input.length > 0 ? [head, input, tail] : [head, tail];
}

/**
 * Encodes the OPEN frame the MCP client sends for `generate`: the model name moves to
 * `InferenceRequest.model_version` (the inner GenerateRequest is serialized with an empty `model`), data type
 * `GENERATE_REQUEST`. The GenerateRequest is written by hand straight into the frame (one allocation, images copied
 * once; see generate-request.ts); a request that encoder declines goes through {@link encodeGenerateOpenFrameSlow}.
 * Either way the bytes are the same. The request is not modified.
 */
export function encodeGenerateOpenFrame(
  streamId: number,
  request: GenerateRequest | GenerateRequestInit,
  timeoutMs = 0,
  metadata?: Record<string, string>,
): Uint8Array {
  const req = isMessage(request, GenerateRequestSchema) ? request : create(GenerateRequestSchema, request);
  const inner = planGenerateRequest(req, true);
  if (inner === undefined) return encodeGenerateOpenFrameSlow(streamId, req, timeoutMs, metadata);
  const plan = planInferenceRequest(req.model, inner.size, metadata);
  const size = HEADER_SIZE + OPEN_PREFIX + plan.size;
  const out = size >= LARGE_INPUT_BYTES ? Buffer.allocUnsafeSlow(size) : allocFrame(size);
  let o = writeOpenHead(out, streamId, DataType.GENERATE_REQUEST, Method.Generate, timeoutMs, plan);
  o = writeInferenceRequestHead(out, o, plan);
  o = writeGenerateRequest(out, o, inner);
  writeInferenceRequestTail(out, o, plan);
  return out;
}

/**
 * The same frame as {@link encodeGenerateOpenFrame} through protobuf-es: `toBinary` of the request with an empty
 * `model` into its own buffer, then copied into the frame. The fallback for requests the hand-written encoder
 * declines (`$unknown` fields, values protobuf-es rejects: it throws for those).
 */
export function encodeGenerateOpenFrameSlow(
  streamId: number,
  request: GenerateRequest,
  timeoutMs = 0,
  metadata?: Record<string, string>,
): Uint8Array {
  const model = request.model;
  request.model = "";
  let inner: Uint8Array;
  try {
    inner = toBinary(GenerateRequestSchema, request);
  } finally {
    request.model = model;
  }
  return encodeRequestOpenFrame(
    streamId,
    DataType.GENERATE_REQUEST,
    Method.Generate,
    timeoutMs,
    model,
    inner,
    metadata,
  );
}
