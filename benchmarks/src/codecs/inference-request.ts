/**
 * `modelwire.v1.InferenceRequest` (the MCP OPEN body) without reflection, mirroring what packages/mcp does on its
 * hot path (`inference-request.ts` there: hand-written encoder, reflection-free decoder; metadata is left out
 * here because the bench sends none). Output is byte-identical to protobuf-es `toBinary` (tests check it).
 */
import { Code, ModelwireError } from "@modelwire/core";

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder("utf-8", { fatal: true });

/** Bytes of `n` as a varint. */
export function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function putVarint(b: Uint8Array, o: number, n: number): number {
  while (n >= 0x80) {
    b[o++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  b[o++] = n;
  return o;
}

/** The UTF-8 model name and the body size of an InferenceRequest with these fields. */
export function inferenceRequestSize(modelVersion: string, input: Uint8Array): { model: Uint8Array; size: number } {
  const model = utf8.encode(modelVersion);
  const size =
    (model.length > 0 ? 1 + varintSize(model.length) + model.length : 0) +
    (input.length > 0 ? 1 + varintSize(input.length) + input.length : 0);
  return { model, size };
}

/** Writes an InferenceRequest at `o` in `out` (room for `size` bytes from {@link inferenceRequestSize}). */
export function writeInferenceRequest(out: Uint8Array, o: number, model: Uint8Array, input: Uint8Array): number {
  if (model.length > 0) {
    out[o++] = 0x0a; // field 1 model_version, length-delimited
    o = putVarint(out, o, model.length);
    out.set(model, o);
    o += model.length;
  }
  if (input.length > 0) {
    out[o++] = 0x12; // field 2 input_data, length-delimited
    o = putVarint(out, o, input.length);
    out.set(input, o);
    o += input.length;
  }
  return o;
}

/** Encodes an InferenceRequest into a new buffer (one copy of `input`), as the MCP client does today. */
export function encodeInferenceRequest(modelVersion: string, input: Uint8Array): Uint8Array {
  const { model, size } = inferenceRequestSize(modelVersion, input);
  const out = new Uint8Array(size);
  writeInferenceRequest(out, 0, model, input);
  return out;
}

function bad(message: string): never {
  throw new ModelwireError(`bad InferenceRequest: ${message}`, Code.InvalidArgument);
}

function readVarint(b: Uint8Array, at: { o: number }): number {
  let n = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (at.o >= b.length) bad("truncated varint");
    const x = b[at.o++];
    n += (x & 0x7f) * mul;
    if (x < 0x80) return n;
    mul *= 128;
  }
  return bad("varint too long");
}

/** A decoded InferenceRequest; `inputData` is a zero-copy view. */
export interface InferenceRequestView {
  readonly modelVersion: string;
  readonly inputData: Uint8Array;
}

/** Decodes an InferenceRequest without reflection; unknown fields (and metadata) are skipped. */
export function decodeInferenceRequest(b: Uint8Array): InferenceRequestView {
  const at = { o: 0 };
  let modelVersion = "";
  let inputData: Uint8Array = new Uint8Array(0);
  while (at.o < b.length) {
    const tag = readVarint(b, at);
    const wire = tag & 7;
    if (tag >>> 3 === 0) bad("field number 0");
    if (wire === 0) readVarint(b, at);
    else if (wire === 1 || wire === 5) at.o += wire === 1 ? 8 : 4;
    else if (wire === 2) {
      const len = readVarint(b, at);
      if (len > b.length - at.o) bad("field overruns the message");
      const field = tag >>> 3;
      if (field === 1) modelVersion = utf8Strict.decode(b.subarray(at.o, at.o + len));
      else if (field === 2) inputData = b.subarray(at.o, at.o + len);
      at.o += len;
    } else bad(`wire type ${wire}`);
  }
  if (at.o > b.length) bad("truncated field");
  return { modelVersion, inputData };
}
