/**
 * The client's OPEN frame, planned and written in this one module: the frame header, the OPEN prefix (method,
 * 3 reserved bytes, timeoutMs) and the `modelwire.v1.InferenceRequest` body — `model_version` (field 1, tag 0x0A),
 * `input_data` (field 2, tag 0x12), `metadata` (field 3, map<string,string>: entries of tag 0x1A, each with key tag
 * 0x0A and value tag 0x12) — laid out as protobuf-es writes them: fields in that order, metadata entries in insertion
 * order, empty fields omitted as proto3 does (the tests compare with `toBinary` and with framing a separately encoded
 * body).
 *
 * The body is written in place: one allocation and one copy of the request input (the serialized GenerateRequest,
 * an image ...), where encoding the InferenceRequest into its own buffer and then framing it would copy the input
 * twice. {@link encodeRequestOpenFrameParts} goes further for large inputs: the input is not copied at all, the frame
 * is handed to the socket as parts (one `writev`). For `generate` the GenerateRequest itself is written straight
 * into the frame by the hand-written encoder (generate-request.ts).
 *
 * Every frame here is exactly
 * `encodeOpenFrame(streamId, dataType, method, timeoutMs, encodeInferenceRequest(modelVersion, input, metadata))`.
 */
import { create, isMessage, toBinary } from "@bufbuild/protobuf";
import { DataType, type GenerateRequest, type GenerateRequestInit, GenerateRequestSchema } from "@modelwire/core";
import { FrameType, HEADER_SIZE, Method } from "../constants.js";
import { writeHeader } from "../frame.js";
import { planGenerateRequest, writeGenerateRequest } from "./generate-request.js";
import { allocUninitialized } from "./native.js";
import { putVarint, varintSize } from "./proto-write.js";
import { allocFrame } from "./slab.js";

/** The OPEN payload's fixed prefix: method, 3 reserved bytes, timeoutMs. */
const OPEN_PREFIX = 8;

/** Inputs at least this long are sent as frame parts (no copy) by the client. */
export const LARGE_INPUT_BYTES = 64 * 1024;

const utf8 = new TextEncoder();

/** The InferenceRequest body of an OPEN, measured once so it can be written around an input it does not copy. */
interface BodyPlan {
  /** UTF-8 model version, or `undefined` when empty (omitted). */
  readonly modelVersion: Uint8Array | undefined;
  /** Length of the input (the `input_data` field is omitted when 0). */
  readonly inputLength: number;
  /** Metadata entries: UTF-8 key, UTF-8 value, size of the entry message. */
  readonly entries: readonly (readonly [Uint8Array, Uint8Array, number])[] | undefined;
  /** Body bytes before the input's first byte: the model_version field, the input_data tag and length. */
  readonly headSize: number;
  /** Body bytes after the input: the metadata entries. */
  readonly tailSize: number;
  /** The body's size: `headSize + inputLength + tailSize`. */
  readonly size: number;
}

let lastModel = "";
let lastModelBytes = new Uint8Array(0);

/**
 * The UTF-8 bytes of a model name, remembered for the last name seen (a client calls one model over and over;
 * encoding it each time was an allocation per request). The bytes are only ever read.
 */
function modelBytes(model: string): Uint8Array {
  if (model !== lastModel) {
    lastModelBytes = utf8.encode(model);
    lastModel = model;
  }
  return lastModelBytes;
}

function planBody(modelVersion: string, inputLength: number, metadata: Record<string, string> | undefined): BodyPlan {
  const mv = modelVersion.length > 0 ? modelBytes(modelVersion) : undefined;
  let headSize = 0;
  if (mv) headSize += 1 + varintSize(mv.length) + mv.length;
  if (inputLength > 0) headSize += 1 + varintSize(inputLength);
  let tailSize = 0;
  let entries: [Uint8Array, Uint8Array, number][] | undefined;
  if (metadata) {
    for (const k in metadata) {
      const kb = utf8.encode(k);
      const vb = utf8.encode(metadata[k]);
      // Map entries always carry both key and value, as protobuf-es writes them.
      const inner = 1 + varintSize(kb.length) + kb.length + 1 + varintSize(vb.length) + vb.length;
      if (!entries) entries = [];
      entries.push([kb, vb, inner]);
      tailSize += 1 + varintSize(inner) + inner;
    }
  }
  return { modelVersion: mv, inputLength, entries, headSize, tailSize, size: headSize + inputLength + tailSize };
}

/** Writes the body's fields before the input (model_version, the input_data tag and length) at `o`. */
function writeBodyHead(out: Uint8Array, o: number, plan: BodyPlan): number {
  const mv = plan.modelVersion;
  if (mv) {
    out[o++] = 0x0a;
    o = putVarint(out, o, mv.length);
    out.set(mv, o);
    o += mv.length;
  }
  if (plan.inputLength > 0) {
    out[o++] = 0x12;
    o = putVarint(out, o, plan.inputLength);
  }
  return o;
}

/** Writes the body's fields after the input (the metadata entries) at `o`. */
function writeBodyTail(out: Uint8Array, o: number, plan: BodyPlan): number {
  if (plan.entries) {
    for (const [kb, vb, inner] of plan.entries) {
      out[o++] = 0x1a;
      o = putVarint(out, o, inner);
      out[o++] = 0x0a;
      o = putVarint(out, o, kb.length);
      out.set(kb, o);
      o += kb.length;
      out[o++] = 0x12;
      o = putVarint(out, o, vb.length);
      out.set(vb, o);
      o += vb.length;
    }
  }
  return o;
}

/** Writes the input (copied) and then the body's tail at `o`; returns the offset after them. */
function writeInputAndTail(out: Uint8Array, o: number, plan: BodyPlan, input: Uint8Array): number {
  if (input.length > 0) {
    out.set(input, o);
    o += input.length;
  }
  return writeBodyTail(out, o, plan);
}

/** Writes the frame header, the OPEN prefix and the body's head from offset 0; returns where the input goes. */
function writeOpenHead(
  out: Uint8Array,
  streamId: number,
  dataType: number,
  method: Method,
  timeoutMs: number,
  plan: BodyPlan,
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
  return writeBodyHead(out, HEADER_SIZE + OPEN_PREFIX, plan);
}

/** A buffer for a whole OPEN frame whose every byte is written: small ones from the slab, large ones not zero-filled. */
function frameBuffer(plan: BodyPlan): Uint8Array {
  const size = HEADER_SIZE + OPEN_PREFIX + plan.size;
  return size >= LARGE_INPUT_BYTES ? allocUninitialized(size) : allocFrame(size);
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
  const plan = planBody(modelVersion, input.length, metadata);
  const out = frameBuffer(plan);
  writeInputAndTail(out, writeOpenHead(out, streamId, dataType, method, timeoutMs, plan), plan, input);
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
  const plan = planBody(modelVersion, input.length, metadata);
  const head = allocFrame(HEADER_SIZE + OPEN_PREFIX + plan.headSize);
  writeOpenHead(head, streamId, dataType, method, timeoutMs, plan);
  if (plan.tailSize === 0) return input.length > 0 ? [head, input] : [head];
  const tail = new Uint8Array(plan.tailSize);
  writeBodyTail(tail, 0, plan);
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
  const plan = planBody(req.model, inner.size, metadata);
  const out = frameBuffer(plan);
  let o = writeOpenHead(out, streamId, DataType.GENERATE_REQUEST, Method.Generate, timeoutMs, plan);
  o = writeGenerateRequest(out, o, inner);
  writeBodyTail(out, o, plan);
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

/**
 * The OPEN body alone: an InferenceRequest in its own buffer, byte-identical to protobuf-es `toBinary` (what the
 * frames above carry; for tests, benchmarks and callers framing it themselves with `encodeOpenFrame`).
 */
export function encodeInferenceRequest(
  modelVersion: string,
  input: Uint8Array,
  metadata: Record<string, string> | undefined,
): Uint8Array {
  const plan = planBody(modelVersion, input.length, metadata);
  const out = new Uint8Array(plan.size);
  writeInputAndTail(out, writeBodyHead(out, 0, plan), plan, input);
  return out;
}
