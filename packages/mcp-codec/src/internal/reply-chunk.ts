/**
 * The direct Protobuf codec shared by the reply chunk messages, GenerateResponse (generate-chunk.ts) and
 * ChatResponse (chat-chunk.ts), written by hand because protobuf-es reflection was measured as the largest single
 * cost of a one-token generate: toBinary of a content chunk 1.85 µs and fromBinary 1.5 µs, of ~35 µs CPU per
 * request (server + client) in the package benchmark at 16 in flight (all protobuf-es work together: ~12 µs); for
 * the final chunk the profile put toBinary at ~2.6 µs on the server and fromBinary at ~2.4 µs on the client.
 *
 * It serves every message shaped like a reply chunk: `model` = 1, `created_at` = 2, up to three text fields
 * (top-level or inside one sub-message), `done`, `done_reason` and `metrics`, with the tags given by a
 * {@link ReplyChunkLayout}. Anything else (unknown fields, negative or huge numbers, repeated fields) returns
 * `undefined` and the caller falls back to protobuf-es. Output and results are identical to protobuf-es (the
 * tests of both messages compare them on random messages).
 */
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { type Metrics, newMetrics, newTimestamp } from "@modelwire/core";
import type { DataBatch } from "../batch.js";
import { COMPACT_HEADER_SIZE, COMPACT_MAX_PAYLOAD, writeCompactHeader } from "../compact.js";
import { FrameType, HEADER_SIZE } from "../constants.js";
import { writeHeader } from "../frame.js";
import { putUtf8, putVarint, utf8Length, varintSize } from "./proto-write.js";
import { allocFrame } from "./slab.js";
import { readUtf8 } from "./utf8-read.js";

/** True when protobuf-es kept unknown fields on `m` (this codec then declines: it does not write them). */
export function hasUnknown(m: object): boolean {
  return (m as { $unknown?: unknown[] }).$unknown !== undefined;
}

/** Writes a string field whose value has UTF-8 length `len`; returns the offset after it. */
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
  if (hasUnknown(m)) return undefined;
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

/** The fields every reply chunk message has, under the same names in GenerateResponse and ChatResponse. */
export interface ReplyChunk {
  model: string;
  createdAt?: Timestamp;
  done: boolean;
  doneReason: string;
  metrics?: Metrics;
  /** The gateway's cache-hit marker (final chunks served from its response cache): outside this codec. */
  cacheHit?: unknown;
}

const NO_CONTEXT: readonly number[] = [];

/**
 * The `type` that asks {@link encodeReplyChunkFrame} for a compact DATA frame (docs/mcp-wire.md §4.8): the 7-byte
 * header, no sequence, and no `model` (the caller checked it equals the stream's previous chunk's).
 */
export const COMPACT_DATA = 0x100 as FrameType;

/**
 * The `type` that asks {@link encodeReplyChunkFrame} for one entry of a batched DATA frame (docs/mcp-wire.md §4.9),
 * written into {@link setBatchTarget}'s batch: no header, no `model` (as for {@link COMPACT_DATA}). It then returns
 * the batch's buffer, or `undefined` when the chunk is declined or does not fit (the batch's `full` tells which).
 */
export const BATCH_ENTRY = 0x101 as FrameType;

/** The batch {@link BATCH_ENTRY} entries go into. */
let batchTarget: DataBatch | undefined;

/** Sets the batch the next {@link BATCH_ENTRY} encode writes into. */
export function setBatchTarget(batch: DataBatch): void {
  batchTarget = batch;
}

/**
 * Where a reply chunk message keeps its fields (`model` is always tag 0x0a and `created_at` 0x12), and how a
 * decoded one is built.
 */
export interface ReplyChunkLayout<T> {
  /** Tag of the sub-message that holds the text fields, or −1 when they are top-level fields. */
  readonly wrapTag: number;
  /** Tag of the first text field; the others follow at consecutive field numbers (tag + 8, + 16). */
  readonly textTag: number;
  /** How many text fields there are (1 to 3). */
  readonly textCount: number;
  readonly doneTag: number;
  readonly doneReasonTag: number;
  /** Tag of the packed `repeated int32 context` field (between done_reason and metrics), or −1 when there is none. */
  readonly contextTag: number;
  readonly metricsTag: number;
  /**
   * The message with the fields read (`undefined`: the field was absent; `wrapped`: the sub-message holding the
   * texts was present, always false without one; the texts in field-number order; `context` only for a layout with
   * that field), equal to protobuf-es fromBinary's; `undefined` declines it. Positional, not a fields object: one
   * allocation fewer per chunk.
   */
  build(
    model: string | undefined,
    createdAt: Timestamp | undefined,
    wrapped: boolean,
    text0: string | undefined,
    text1: string | undefined,
    text2: string | undefined,
    done: boolean | undefined,
    doneReason: string | undefined,
    context: number[] | undefined,
    metrics: Metrics | undefined,
  ): T | undefined;
}

/**
 * Encodes a reply chunk as a whole frame of `type` (header and payload in one buffer): `chunk`'s common fields
 * plus the texts `t0`..`t2` (inside the layout's sub-message when `wrapped`; unused ones empty), or returns
 * `undefined` when something is outside this codec (unknown fields, a cache-hit marker, negative or huge numbers,
 * and for a DATA frame `done`, `done_reason` or `metrics`). Callers check their message's other fields. Sizes and
 * fields are written in this one function, not helpers, for the same inlining reason as {@link decodeReplyChunk}.
 */
export function encodeReplyChunkFrame(
  type: FrameType,
  streamId: number,
  sequence: number,
  layout: ReplyChunkLayout<unknown>,
  chunk: ReplyChunk,
  wrapped: boolean,
  t0: string,
  t1: string,
  t2: string,
  context: readonly number[] = NO_CONTEXT,
): Uint8Array | undefined {
  if (hasUnknown(chunk) || chunk.cacheHit !== undefined) return undefined;
  const compact = type === COMPACT_DATA || type === BATCH_ENTRY;
  if (
    (type === FrameType.Data || compact) &&
    (chunk.done || chunk.doneReason !== "" || chunk.metrics !== undefined || context.length !== 0)
  ) {
    return undefined;
  }
  // Packed int32s: only non-negative ones here (a negative int32 is a 10-byte varint; protobuf-es writes those).
  let contextLen = 0;
  for (let i = 0; i < context.length; i++) {
    const v = context[i];
    if (!(v >= 0 && v <= 0x7fffffff) || v !== Math.floor(v)) return undefined;
    contextLen += varintSize(v);
  }
  const ts = chunk.createdAt;
  let seconds = 0;
  let tsLen = 0;
  if (ts) {
    if (hasUnknown(ts) || ts.seconds < 0n || ts.seconds > MAX_SAFE || ts.nanos < 0) return undefined;
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
  const mLen = compact || chunk.model === "" ? 0 : utf8Length(chunk.model);
  const l0 = t0 === "" ? 0 : utf8Length(t0);
  const l1 = t1 === "" ? 0 : utf8Length(t1);
  const l2 = t2 === "" ? 0 : utf8Length(t2);
  const dLen = chunk.doneReason === "" ? 0 : utf8Length(chunk.doneReason);
  let textsLen = 0;
  if (l0 !== 0) textsLen += 1 + varintSize(l0) + l0;
  if (l1 !== 0) textsLen += 1 + varintSize(l1) + l1;
  if (l2 !== 0) textsLen += 1 + varintSize(l2) + l2;
  let size = wrapped ? 1 + varintSize(textsLen) + textsLen : textsLen;
  if (mLen !== 0) size += 1 + varintSize(mLen) + mLen;
  if (ts) size += 1 + varintSize(tsLen) + tsLen;
  if (chunk.done) size += 2;
  if (dLen !== 0) size += 1 + varintSize(dLen) + dLen;
  if (contextLen !== 0) size += 1 + varintSize(contextLen) + contextLen;
  if (metrics) size += 1 + varintSize(metricsLen) + metricsLen;
  let o: number;
  let out: Uint8Array;
  if (type === BATCH_ENTRY) {
    const batch = batchTarget as DataBatch;
    o = batch.reserve(size);
    if (o < 0) return undefined;
    out = batch.buf;
  } else if (compact) {
    if (size > COMPACT_MAX_PAYLOAD) return undefined;
    out = allocFrame(COMPACT_HEADER_SIZE + size);
    writeCompactHeader(out, 0, streamId, size);
    o = COMPACT_HEADER_SIZE;
  } else {
    out = allocFrame(HEADER_SIZE + size);
    writeHeader(out, 0, type, 0, 0, streamId, sequence, size);
    o = HEADER_SIZE;
  }
  if (mLen !== 0) o = putString(out, o, 0x0a, chunk.model, mLen);
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
  if (wrapped) {
    out[o++] = layout.wrapTag;
    o = putVarint(out, o, textsLen);
  }
  if (l0 !== 0) o = putString(out, o, layout.textTag, t0, l0);
  if (l1 !== 0) o = putString(out, o, layout.textTag + 8, t1, l1);
  if (l2 !== 0) o = putString(out, o, layout.textTag + 16, t2, l2);
  if (chunk.done) {
    out[o++] = layout.doneTag;
    out[o++] = 0x01;
  }
  if (dLen !== 0) o = putString(out, o, layout.doneReasonTag, chunk.doneReason, dLen);
  if (contextLen !== 0) {
    out[o++] = layout.contextTag;
    o = putVarint(out, o, contextLen);
    for (let i = 0; i < context.length; i++) o = putVarint(out, o, context[i]);
  }
  if (metrics) {
    out[o++] = layout.metricsTag;
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
 * The decoder's read position in the payload: one module-level cursor instead of a `{ o }` object per decode (the
 * readers are not always inlined, so that object was a heap allocation per chunk). {@link decodeReplyChunk} runs
 * to completion without calling out, so nothing else moves it meanwhile.
 */
let pos = 0;
/** The end of the bytes being decoded (the payload's length, or the end of a batched entry). */
let lim = 0;

/** Reads a varint of at most 8 bytes at `pos`; -1 when longer, truncated or above 2^53 − 1. */
function readVarint(b: Uint8Array): number {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 8; i++) {
    if (pos >= lim) return -1;
    const x = b[pos++];
    result += (x & 0x7f) * mul;
    if (x < 0x80) return result <= Number.MAX_SAFE_INTEGER ? result : -1;
    mul *= 128;
  }
  return -1;
}

function readString(b: Uint8Array): string | undefined {
  const n = readVarint(b);
  if (n < 0 || n > lim - pos) return undefined;
  const start = pos;
  pos += n;
  return readUtf8(b, start, pos);
}

/**
 * Reads a packed `repeated int32` field's length and body at `pos`: non-negative values below 2^31 only (a negative
 * int32 or an over-long varint declines: `undefined`, as does a truncated body).
 */
function readPackedInt32(b: Uint8Array): number[] | undefined {
  const n = readVarint(b);
  if (n < 0 || n > lim - pos) return undefined;
  const end = pos + n;
  const out: number[] = [];
  while (pos < end) {
    const x = readVarint(b);
    if (x < 0 || x > 0x7fffffff || pos > end) return undefined;
    out.push(x);
  }
  return out;
}

/** Reads a Metrics field's length and body at `pos`, each field at most once; `undefined` for anything else. */
function readMetrics(b: Uint8Array): Metrics | undefined {
  const n = readVarint(b);
  if (n < 0 || n > lim - pos) return undefined;
  const end = pos + n;
  const v: (number | undefined)[] = [undefined, undefined, undefined, undefined, undefined, undefined];
  while (pos < end) {
    const t = b[pos++];
    // Tags 0x08..0x30 step 8: fields 1..6, varint.
    if ((t & 7) !== 0 || t < 0x08 || t > 0x30) return undefined;
    const i = (t >> 3) - 1;
    if (v[i] !== undefined) return undefined;
    const x = readVarint(b);
    if (x < 0 || pos > end) return undefined;
    // int32 fields (prompt_eval_count, eval_count): protobuf-es reads them as signed 32-bit.
    if ((i === 2 || i === 4) && x > 0x7fffffff) return undefined;
    v[i] = x;
  }
  return newMetrics(BigInt(v[0] ?? 0), BigInt(v[1] ?? 0), v[2] ?? 0, BigInt(v[3] ?? 0), v[4] ?? 0, BigInt(v[5] ?? 0));
}

/** The last `created_at` seconds decoded, as a number and as the bigint protobuf-es's Timestamp holds. */
let lastSeconds = 0;
let lastSecondsBig = 0n;

/**
 * `seconds` (0 ≤ seconds ≤ 2^53 − 1) as a bigint. Consecutive chunks carry the same second, so the last value is
 * kept: a bigint is an immutable primitive, so handing the same one to two Timestamps shares nothing mutable
 * (each chunk still gets its own Timestamp object), and it saves a BigInt allocation per chunk.
 */
function secondsBigint(seconds: number): bigint {
  if (seconds !== lastSeconds) {
    lastSeconds = seconds;
    lastSecondsBig = BigInt(seconds);
  }
  return lastSecondsBig;
}

/**
 * Decodes a reply chunk payload laid out as `layout` says: the content fields (model, created_at, the texts) and,
 * when `final`, `done`, `done_reason` and `metrics`, each at most once; returns `undefined` for anything else
 * (unknown or repeated fields, malformed input: use protobuf-es `fromBinary`, which also reports errors). The
 * sub-message holding the texts and `created_at` are read in this one loop into locals: with helper functions and a
 * fields object instead, V8 stopped inlining the string readers and a content chunk took ~10% longer to decode.
 * `start`..`end` are the bytes of `b` that hold the message (default all of them): a batched DATA entry is decoded
 * where it lies, without a view of its own.
 */
export function decodeReplyChunk<T>(
  b: Uint8Array,
  final: boolean,
  layout: ReplyChunkLayout<T>,
  start = 0,
  end = b.length,
): T | undefined {
  pos = start;
  lim = end;
  let model: string | undefined;
  let hasTs = false;
  let seconds: number | undefined;
  let nanos: number | undefined;
  let text0: string | undefined;
  let text1: string | undefined;
  let text2: string | undefined;
  let done: boolean | undefined;
  let doneReason: string | undefined;
  let context: number[] | undefined;
  let metrics: Metrics | undefined;
  let wrapped = false;
  /** The end of the sub-message holding the texts while its fields are read, else −1. */
  let wrapEnd = -1;
  while (pos < lim) {
    const inWrap = pos < wrapEnd;
    const tag = b[pos++];
    const d = tag - layout.textTag;
    if ((inWrap || layout.wrapTag < 0) && d >= 0 && (d & 7) === 0 && d >> 3 < layout.textCount) {
      const i = d >> 3;
      if ((i === 0 ? text0 : i === 1 ? text1 : text2) !== undefined) return undefined;
      const v = readString(b);
      if (v === undefined) return undefined;
      if (i === 0) text0 = v;
      else if (i === 1) text1 = v;
      else text2 = v;
      if (inWrap && pos > wrapEnd) return undefined;
    } else if (inWrap) return undefined;
    else if (tag === 0x0a && model === undefined) {
      model = readString(b);
      if (model === undefined) return undefined;
    } else if (tag === 0x12 && !hasTs) {
      hasTs = true;
      const n = readVarint(b);
      if (n < 0 || n > lim - pos) return undefined;
      const end = pos + n;
      while (pos < end) {
        const t = b[pos++];
        if (t === 0x08 && seconds === undefined) seconds = readVarint(b);
        else if (t === 0x10 && nanos === undefined) nanos = readVarint(b);
        else return undefined;
        if (pos > end) return undefined;
      }
      if ((seconds !== undefined && seconds < 0) || (nanos !== undefined && (nanos < 0 || nanos > 0x7fffffff))) {
        return undefined;
      }
    } else if (tag === layout.wrapTag && !wrapped) {
      wrapped = true;
      const n = readVarint(b);
      if (n < 0 || n > lim - pos) return undefined;
      wrapEnd = pos + n;
    } else if (final && tag === layout.doneTag && done === undefined) {
      const x = pos < lim ? b[pos++] : -1;
      if (x !== 0 && x !== 1) return undefined; // protobuf-es writes 0x01; anything longer goes to fromBinary
      done = x === 1;
    } else if (final && tag === layout.doneReasonTag && doneReason === undefined) {
      doneReason = readString(b);
      if (doneReason === undefined) return undefined;
    } else if (final && tag === layout.contextTag && context === undefined) {
      context = readPackedInt32(b);
      if (context === undefined) return undefined;
    } else if (final && tag === layout.metricsTag && metrics === undefined) {
      metrics = readMetrics(b);
      if (metrics === undefined) return undefined;
    } else return undefined;
    if (pos > lim) return undefined;
  }
  const createdAt = hasTs ? newTimestamp(seconds === undefined ? 0n : secondsBigint(seconds), nanos ?? 0) : undefined;
  return layout.build(model, createdAt, wrapped, text0, text1, text2, done, doneReason, context, metrics);
}
