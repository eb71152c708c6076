/**
 * A proposal measured next to the real MCP request path: the same OPEN frame bytes, built without the second
 * Protobuf pass. The InferenceRequest around the GenerateRequest has two length-delimited fields, so its bytes are
 * written by hand straight into the frame (one allocation, one copy of the serialized request), and read back by
 * hand (the body stays a zero-copy view). Wire-compatible with `mcpRequestCodec` (a test checks byte equality).
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
import { BENCH_STREAM_ID } from "./mcp-frame.js";
import { MAX_MESSAGE_BYTES } from "./protobuf.js";

const OPEN_PREFIX = 8;
const utf8 = new TextEncoder();

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function writeVarint(b: Uint8Array, o: number, n: number): number {
  while (n >= 0x80) {
    b[o++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  b[o++] = n;
  return o;
}

function bad(message: string): never {
  throw new ModelwireError(`bad InferenceRequest: ${message}`, Code.InvalidArgument);
}

function readVarint(b: Uint8Array, at: { o: number }): number {
  let n = 0;
  let mul = 1;
  for (let i = 0; i < 8; i++) {
    if (at.o >= b.length) bad("truncated varint");
    const x = b[at.o++];
    n += (x & 0x7f) * mul;
    if (x < 0x80) return n;
    mul *= 128;
  }
  return bad("varint too long");
}

/** The `input_data` of a serialized InferenceRequest (a view), skipping `model_version` and `metadata`. */
export function inputDataOf(b: Uint8Array): Uint8Array {
  const at = { o: 0 };
  let input: Uint8Array | undefined;
  while (at.o < b.length) {
    const tag = readVarint(b, at);
    const wire = tag & 7;
    if (wire === 0) readVarint(b, at);
    else if (wire === 1 || wire === 5) at.o += wire === 1 ? 8 : 4;
    else if (wire === 2) {
      const len = readVarint(b, at);
      if (at.o + len > b.length) bad("field overruns the message");
      if (tag >>> 3 === 2) input = b.subarray(at.o, at.o + len);
      at.o += len;
    } else bad(`wire type ${wire}`);
  }
  if (at.o > b.length) bad("truncated field");
  return input ?? new Uint8Array(0);
}

/** Encodes the OPEN frame of a GenerateRequest with the InferenceRequest written by hand. */
export function encodeFusedOpenFrame(req: GenerateRequest): Uint8Array {
  const inner = toBinary(GenerateRequestSchema, req);
  const model = utf8.encode(req.model);
  const bodyLen =
    (model.length > 0 ? 1 + varintSize(model.length) + model.length : 0) +
    (inner.length > 0 ? 1 + varintSize(inner.length) + inner.length : 0);
  const out = new Uint8Array(HEADER_SIZE + OPEN_PREFIX + bodyLen);
  writeHeader(out, 0, FrameType.Open, 0, DataType.GENERATE_REQUEST, BENCH_STREAM_ID, 0, OPEN_PREFIX + bodyLen);
  let o = HEADER_SIZE;
  out[o] = Method.Generate; // bytes 1..7 of the prefix: reserved 0, timeout 0
  o += OPEN_PREFIX;
  if (model.length > 0) {
    out[o++] = 0x0a; // field 1, length-delimited
    o = writeVarint(out, o, model.length);
    out.set(model, o);
    o += model.length;
  }
  if (inner.length > 0) {
    out[o++] = 0x12; // field 2, length-delimited
    o = writeVarint(out, o, inner.length);
    out.set(inner, o);
  }
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
      return fromBinary(GenerateRequestSchema, inputDataOf(decodeOpenPayload(f.payload).body));
    },
  };
}
