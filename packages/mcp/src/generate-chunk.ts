/**
 * A direct Protobuf codec for the hot GenerateResponse *content* chunk (fields `model` = 1, `created_at` = 2,
 * `response` = 3, `thinking` = 4; nothing else set), written by hand because protobuf-es reflection was measured as
 * the largest single cost of a one-token generate: toBinary of a content chunk 1.85 µs and fromBinary 1.5 µs, of
 * ~35 µs CPU per request (server + client) in the package benchmark at 16 in flight (all protobuf-es work together:
 * ~12 µs). The *final* chunk (`done`, `done_reason`, `metrics` besides the content fields) has its own entry points,
 * {@link encodeFinalChunkFrame} / {@link decodeFinalChunk}, for the same reason: the profile put its toBinary at
 * ~2.6 µs on the server and its fromBinary at ~2.4 µs on the client. Anything else (`context`, unknown fields,
 * negative numbers, repeated fields) returns `undefined` and the caller falls back to protobuf-es. Output and
 * results are identical to protobuf-es (tests compare them on random messages).
 */
import { type GenerateResponse, type Metrics, newGenerateResponse, newMetrics, newTimestamp } from "@modelwire/core";
import { FrameType, HEADER_SIZE, writeHeader } from "@modelwire/mcp-codec";
import { putUtf8, utf8Length } from "./proto-write.js";
import { allocFrame } from "./slab.js";
import { putVarint, varintSize } from "./varint.js";

/** Fatal, as protobuf-es decodes strings: invalid UTF-8 is declined here and reported by fromBinary. */
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

function decodeUtf8(b: Uint8Array): string | undefined {
  try {
    return utf8Decoder.decode(b);
  } catch {
    return undefined;
  }
}

function putString(b: Uint8Array, o: number, tag: number, s: string, len: number): number {
  b[o++] = tag;
  return putUtf8(b, putVarint(b, o, len), s, len);
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Metrics fields in wire order: field number and whether it is an int64 (bigint) or an int32. */
const METRIC_FIELDS: readonly (readonly [keyof Metrics & string, number])[] = [
  ["totalDuration", 0x08],
  ["loadDuration", 0x10],
  ["promptEvalCount", 0x18],
  ["promptEvalDuration", 0x20],
  ["evalCount", 0x28],
  ["evalDuration", 0x30],
];

/** An int64 metric as a number, or −1 when it is negative or above 2^53 − 1 (this codec then declines). */
function int64Metric(v: bigint): number {
  return v < 0n || v > MAX_SAFE ? -1 : Number(v);
}

/**
 * The metrics' field values as numbers, in wire order (0 = omitted), or `undefined` if one is negative or above
 * 2^53 − 1. Fields are read by name, not through a table of keys (a keyed load per field cost more than the rest).
 */
function metricValues(m: Metrics): number[] | undefined {
  if ((m as { $unknown?: unknown[] }).$unknown !== undefined) return undefined;
  const out = [
    int64Metric(m.totalDuration),
    int64Metric(m.loadDuration),
    m.promptEvalCount,
    int64Metric(m.promptEvalDuration),
    m.evalCount,
    int64Metric(m.evalDuration),
  ];
  for (let i = 0; i < 6; i++) if (out[i] < 0) return undefined;
  return out;
}

/**
 * Encodes a GenerateResponse as a whole frame of `type` (header and payload in one buffer), or returns `undefined`
 * when the message has anything this codec does not write (context, unknown fields, negative numbers).
 */
function encodeGenerateResponseFrame(
  type: FrameType,
  streamId: number,
  sequence: number,
  chunk: GenerateResponse,
): Uint8Array | undefined {
  if (chunk.context.length !== 0 || (chunk as { $unknown?: unknown[] }).$unknown !== undefined) return undefined;
  const ts = chunk.createdAt;
  let seconds = 0;
  let tsLen = 0;
  if (ts) {
    if ((ts as { $unknown?: unknown[] }).$unknown !== undefined) return undefined;
    if (ts.seconds < 0n || ts.seconds > MAX_SAFE || ts.nanos < 0) return undefined;
    seconds = Number(ts.seconds);
    if (seconds !== 0) tsLen += 1 + varintSize(seconds);
    if (ts.nanos !== 0) tsLen += 1 + varintSize(ts.nanos);
  }
  let metrics: number[] | undefined;
  let metricsLen = 0;
  if (chunk.metrics) {
    metrics = metricValues(chunk.metrics);
    if (!metrics) return undefined;
    for (const v of metrics) if (v !== 0) metricsLen += 1 + varintSize(v);
  }
  const mLen = chunk.model === "" ? 0 : utf8Length(chunk.model);
  const rLen = chunk.response === "" ? 0 : utf8Length(chunk.response);
  const tLen = chunk.thinking === "" ? 0 : utf8Length(chunk.thinking);
  const dLen = chunk.doneReason === "" ? 0 : utf8Length(chunk.doneReason);
  let size = 0;
  if (chunk.model !== "") size += 1 + varintSize(mLen) + mLen;
  if (ts) size += 1 + varintSize(tsLen) + tsLen;
  if (chunk.response !== "") size += 1 + varintSize(rLen) + rLen;
  if (chunk.thinking !== "") size += 1 + varintSize(tLen) + tLen;
  if (chunk.done) size += 2;
  if (chunk.doneReason !== "") size += 1 + varintSize(dLen) + dLen;
  if (metrics) size += 1 + varintSize(metricsLen) + metricsLen;
  const out = allocFrame(HEADER_SIZE + size);
  writeHeader(out, 0, type, 0, 0, streamId, sequence, size);
  let o = HEADER_SIZE;
  if (chunk.model !== "") o = putString(out, o, 0x0a, chunk.model, mLen);
  if (ts) {
    out[o++] = 0x12;
    o = putVarint(out, o, tsLen);
    if (seconds !== 0) {
      out[o++] = 0x08;
      o = putVarint(out, o, seconds);
    }
    if (ts.nanos !== 0) {
      out[o++] = 0x10;
      o = putVarint(out, o, ts.nanos);
    }
  }
  if (chunk.response !== "") o = putString(out, o, 0x1a, chunk.response, rLen);
  if (chunk.thinking !== "") o = putString(out, o, 0x22, chunk.thinking, tLen);
  if (chunk.done) {
    out[o++] = 0x28;
    out[o++] = 0x01;
  }
  if (chunk.doneReason !== "") o = putString(out, o, 0x32, chunk.doneReason, dLen);
  if (metrics) {
    out[o++] = 0x42;
    o = putVarint(out, o, metricsLen);
    for (let i = 0; i < metrics.length; i++) {
      const v = metrics[i];
      if (v === 0) continue;
      out[o++] = METRIC_FIELDS[i][1];
      o = putVarint(out, o, v);
    }
  }
  return out;
}

/**
 * Encodes `chunk` as a whole DATA frame (header and payload in one buffer) when it is a plain content chunk;
 * otherwise returns `undefined` (use protobuf-es). The payload is byte-identical to `toBinary(GenerateResponseSchema)`.
 */
export function encodeContentChunkFrame(
  streamId: number,
  sequence: number,
  chunk: GenerateResponse,
): Uint8Array | undefined {
  if (chunk.done || chunk.doneReason !== "" || chunk.metrics !== undefined) return undefined;
  return encodeGenerateResponseFrame(FrameType.Data, streamId, sequence, chunk);
}

/**
 * Encodes the final GenerateResponse (`done`, `done_reason`, `metrics` and the content fields) as a whole END
 * frame, or returns `undefined` when it holds anything else (`context`, unknown fields, negative numbers): use
 * protobuf-es then. The payload is byte-identical to `toBinary(GenerateResponseSchema)`.
 */
export function encodeFinalChunkFrame(
  streamId: number,
  sequence: number,
  chunk: GenerateResponse,
): Uint8Array | undefined {
  return encodeGenerateResponseFrame(FrameType.End, streamId, sequence, chunk);
}

/** Reads a varint of at most 8 bytes at `p.o`; -1 when longer, truncated or above 2^53 − 1. */
function readVarint(b: Uint8Array, p: { o: number }): number {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 8; i++) {
    if (p.o >= b.length) return -1;
    const x = b[p.o++];
    result += (x & 0x7f) * mul;
    if (x < 0x80) return result <= Number.MAX_SAFE_INTEGER ? result : -1;
    mul *= 128;
  }
  return -1;
}

function readString(b: Uint8Array, p: { o: number }): string | undefined {
  const n = readVarint(b, p);
  if (n < 0 || n > b.length - p.o) return undefined;
  const start = p.o;
  p.o += n;
  // Short ASCII (the usual token) without the decoder call.
  if (n <= 32) {
    let s = "";
    for (let i = start; i < start + n; i++) {
      const c = b[i];
      if (c >= 0x80) return decodeUtf8(b.subarray(start, start + n));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return decodeUtf8(b.subarray(start, start + n));
}

/** Reads the Metrics message of `n` bytes at `p.o`, each field at most once; `undefined` for anything else. */
function readMetrics(b: Uint8Array, p: { o: number }, n: number): Metrics | undefined {
  const end = p.o + n;
  const v: (number | undefined)[] = [undefined, undefined, undefined, undefined, undefined, undefined];
  while (p.o < end) {
    const t = b[p.o++];
    // Tags 0x08..0x30 step 8: fields 1..6, varint.
    if ((t & 7) !== 0 || t < 0x08 || t > 0x30) return undefined;
    const i = (t >> 3) - 1;
    if (v[i] !== undefined) return undefined;
    const x = readVarint(b, p);
    if (x < 0 || p.o > end) return undefined;
    // int32 fields (prompt_eval_count, eval_count): protobuf-es reads them as signed 32-bit.
    if ((i === 2 || i === 4) && x > 0x7fffffff) return undefined;
    v[i] = x;
  }
  return newMetrics(BigInt(v[0] ?? 0), BigInt(v[1] ?? 0), v[2] ?? 0, BigInt(v[3] ?? 0), v[4] ?? 0, BigInt(v[5] ?? 0));
}

function decodeGenerateResponse(b: Uint8Array, final: boolean): GenerateResponse | undefined {
  const p = { o: 0 };
  let model: string | undefined;
  let response: string | undefined;
  let thinking: string | undefined;
  let doneReason: string | undefined;
  let done: boolean | undefined;
  let metrics: Metrics | undefined;
  let seconds: number | undefined;
  let nanos: number | undefined;
  let hasTs = false;
  while (p.o < b.length) {
    const tag = b[p.o++];
    if (tag === 0x0a && model === undefined) {
      model = readString(b, p);
      if (model === undefined) return undefined;
    } else if (tag === 0x1a && response === undefined) {
      response = readString(b, p);
      if (response === undefined) return undefined;
    } else if (tag === 0x22 && thinking === undefined) {
      thinking = readString(b, p);
      if (thinking === undefined) return undefined;
    } else if (tag === 0x12 && !hasTs) {
      hasTs = true;
      const n = readVarint(b, p);
      if (n < 0 || n > b.length - p.o) return undefined;
      const end = p.o + n;
      while (p.o < end) {
        const t = b[p.o++];
        if (t === 0x08 && seconds === undefined) seconds = readVarint(b, p);
        else if (t === 0x10 && nanos === undefined) nanos = readVarint(b, p);
        else return undefined;
        if (p.o > end) return undefined;
      }
      if ((seconds !== undefined && seconds < 0) || (nanos !== undefined && (nanos < 0 || nanos > 0x7fffffff))) {
        return undefined;
      }
    } else if (final && tag === 0x28 && done === undefined) {
      const x = p.o < b.length ? b[p.o++] : -1;
      if (x !== 0 && x !== 1) return undefined; // protobuf-es writes 0x01; anything longer goes to fromBinary
      done = x === 1;
    } else if (final && tag === 0x32 && doneReason === undefined) {
      doneReason = readString(b, p);
      if (doneReason === undefined) return undefined;
    } else if (final && tag === 0x42 && metrics === undefined) {
      const n = readVarint(b, p);
      if (n < 0 || n > b.length - p.o) return undefined;
      metrics = readMetrics(b, p, n);
      if (metrics === undefined) return undefined;
    } else return undefined;
    if (p.o > b.length) return undefined;
  }
  return newGenerateResponse({
    model,
    response,
    thinking,
    createdAt: hasTs ? newTimestamp(BigInt(seconds ?? 0), nanos ?? 0) : undefined,
    done,
    doneReason,
    metrics,
  });
}

/**
 * Decodes a GenerateResponse payload that holds only content-chunk fields (model, created_at, response,
 * thinking, each at most once); returns `undefined` for anything else (use protobuf-es `fromBinary`, which also
 * reports malformed input). The result equals what `fromBinary(GenerateResponseSchema)` returns.
 */
export function decodeContentChunk(b: Uint8Array): GenerateResponse | undefined {
  return decodeGenerateResponse(b, false);
}

/**
 * Decodes a final GenerateResponse payload: the content fields plus `done`, `done_reason` and `metrics`, each at
 * most once; returns `undefined` for anything else (`context`, unknown or repeated fields, malformed input: use
 * protobuf-es `fromBinary`). The result equals what `fromBinary(GenerateResponseSchema)` returns.
 */
export function decodeFinalChunk(b: Uint8Array): GenerateResponse | undefined {
  return decodeGenerateResponse(b, true);
}
