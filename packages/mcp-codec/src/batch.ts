/**
 * The batched DATA frame of the `batch-data` feature (docs/mcp-wire.md §4.9): several content chunks of one stream
 * in one frame — a 9-byte header (marker 0xDB, u32 stream id, u16 chunk count, u16 payload length) and a payload of
 * `count` entries, each a varint length and a chunk message. Each entry means what one compact DATA frame would
 * (§4.8): the stream's next sequence, `model` inherited when absent. Pure: no I/O.
 */
import type { ModelwireError } from "@modelwire/core";
import { MAX_STREAM_ID } from "./constants.js";
import { ProtocolErrorReason, protocolError } from "./errors.js";
import { allocFrame } from "./internal/slab.js";

/** First byte of a batched DATA frame (a v1 header starts with 0x4D, a compact DATA frame with 0xDA). */
export const BATCH_DATA_MARKER = 0xdb;

/** Size of a batched DATA frame's header: marker, u32 stream id, u16 count, u16 length. */
export const BATCH_HEADER_SIZE = 9;

/** Most chunks one batched DATA frame may carry; a `count` of 0 or above this is `bad_payload`. */
export const MAX_BATCH_CHUNKS = 256;

/** Largest payload a batched DATA frame can carry (its length is a u16). */
export const BATCH_MAX_PAYLOAD = 0xffff;

/** Longest entry length prefix: 3 varint bytes cover every length up to {@link BATCH_MAX_PAYLOAD}. */
const MAX_PREFIX_BYTES = 3;

/** Writes a batched DATA header at `o`. No validation: the caller keeps the fields in range. */
export function writeBatchHeader(b: Uint8Array, o: number, streamId: number, count: number, length: number): void {
  b[o] = BATCH_DATA_MARKER;
  b[o + 1] = streamId >>> 24;
  b[o + 2] = streamId >>> 16;
  b[o + 3] = streamId >>> 8;
  b[o + 4] = streamId;
  b[o + 5] = count >>> 8;
  b[o + 6] = count;
  b[o + 7] = length >>> 8;
  b[o + 8] = length;
}

/** Bytes of the varint that prefixes an entry of `n` bytes. */
export function entryPrefixSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : 3;
}

/** Writes the varint length `n` (≤ 0xffff) at `o`; returns the offset after it. */
export function writeEntryPrefix(b: Uint8Array, o: number, n: number): number {
  while (n >= 0x80) {
    b[o++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  b[o++] = n;
  return o;
}

/**
 * Encodes a batched DATA frame carrying `payloads` (chunk messages already serialized, `model` left out when it
 * equals the chunk before's). Throws RangeError for a stream id outside 1..2³¹−1, no payloads or more than
 * {@link MAX_BATCH_CHUNKS}, or a frame payload over {@link BATCH_MAX_PAYLOAD} bytes.
 */
export function encodeBatchDataFrame(streamId: number, payloads: readonly Uint8Array[]): Uint8Array {
  if (!Number.isInteger(streamId) || streamId < 1 || streamId > MAX_STREAM_ID) {
    throw new RangeError(`batched DATA stream id ${streamId} outside 1..${MAX_STREAM_ID}`);
  }
  if (payloads.length < 1 || payloads.length > MAX_BATCH_CHUNKS) {
    throw new RangeError(`batched DATA of ${payloads.length} chunks, outside 1..${MAX_BATCH_CHUNKS}`);
  }
  let length = 0;
  for (const p of payloads) length += entryPrefixSize(p.length) + p.length;
  if (length > BATCH_MAX_PAYLOAD) {
    throw new RangeError(`batched DATA payload of ${length} bytes exceeds ${BATCH_MAX_PAYLOAD}`);
  }
  const out = new Uint8Array(BATCH_HEADER_SIZE + length);
  writeBatchHeader(out, 0, streamId, payloads.length, length);
  let o = BATCH_HEADER_SIZE;
  for (const p of payloads) {
    o = writeEntryPrefix(out, o, p.length);
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** The end (exclusive) of the entry {@link readEntry} read last. */
let lastEnd = 0;

/**
 * Reads the entry whose length prefix starts at `o` in `payload`: returns the offset of its first byte (its end is
 * then {@link entryEnd}); −1 when the prefix is over 3 bytes, truncated, or the entry runs past the payload.
 */
export function readEntry(payload: Uint8Array, o: number): number {
  let n = 0;
  let shift = 0;
  for (let i = 0; i < MAX_PREFIX_BYTES; i++) {
    if (o >= payload.length) return -1;
    const x = payload[o++];
    n |= (x & 0x7f) << shift;
    if (x < 0x80) {
      if (n > payload.length - o) return -1;
      lastEnd = o + n;
      return o;
    }
    shift += 7;
  }
  return -1;
}

/** The end (exclusive) of the entry {@link readEntry} read last. */
export function entryEnd(): number {
  return lastEnd;
}

/**
 * Checks that `payload` is exactly `count` well-formed entries (§4.9): `undefined` when it is, else the
 * `bad_payload` error to fail the connection with.
 */
export function checkBatchPayload(payload: Uint8Array, count: number): ModelwireError | undefined {
  let o = 0;
  for (let i = 0; i < count; i++) {
    if (readEntry(payload, o) < 0) {
      return protocolError(ProtocolErrorReason.BadPayload, `batched DATA entry ${i} of ${count} is malformed`, {
        entry: i,
        count,
      });
    }
    o = lastEnd;
  }
  if (o !== payload.length) {
    return protocolError(
      ProtocolErrorReason.BadPayload,
      `batched DATA holds ${payload.length - o} bytes after its ${count} entries`,
      { count },
    );
  }
  return undefined;
}

/** The entries of a well-formed batch payload, as views (throws the `bad_payload` error otherwise). */
export function splitBatchPayload(payload: Uint8Array, count: number): Uint8Array[] {
  const err = checkBatchPayload(payload, count);
  if (err) throw err;
  const out: Uint8Array[] = [];
  let o = 0;
  for (let i = 0; i < count; i++) {
    const start = readEntry(payload, o);
    out.push(payload.subarray(start, lastEnd));
    o = lastEnd;
  }
  return out;
}

/**
 * A batched DATA frame being built by a sender: entries are written in place (after room for the header) until
 * {@link DataBatch.seal} writes the header and hands out the frame. Bounded by `maxPayload` bytes (at most
 * {@link BATCH_MAX_PAYLOAD}) and {@link MAX_BATCH_CHUNKS} entries.
 */
export class DataBatch {
  /** Entries written so far. */
  count = 0;
  /** Set by {@link DataBatch.reserve} when an entry did not fit (the caller seals and starts another batch). */
  full = false;
  /** Set by {@link DataBatch.seal}: nothing more may be written. */
  sealed = false;
  /** The buffer entries are written into (replaced when it grows). */
  buf: Uint8Array;
  private used = BATCH_HEADER_SIZE;
  private readonly maxPayload: number;

  /**
   * A batch for `streamId` of at most `maxPayload` payload bytes, starting with room for `capacity` bytes (header
   * included; it grows by doubling).
   */
  constructor(
    readonly streamId: number,
    maxPayload: number,
    capacity = 1024,
  ) {
    this.maxPayload = Math.min(maxPayload, BATCH_MAX_PAYLOAD);
    this.buf = allocFrame(Math.max(BATCH_HEADER_SIZE + 16, Math.min(capacity, BATCH_HEADER_SIZE + this.maxPayload)));
  }

  /** Payload bytes written so far. */
  get payloadBytes(): number {
    return this.used - BATCH_HEADER_SIZE;
  }

  /**
   * Room for one more entry of `n` bytes: writes its length prefix and returns the offset in {@link DataBatch.buf}
   * where its `n` bytes go (the caller writes them there), or −1 (and sets {@link DataBatch.full}) when the entry
   * would pass the batch's bounds.
   */
  reserve(n: number): number {
    const need = entryPrefixSize(n) + n;
    if (
      this.full ||
      this.sealed ||
      this.count >= MAX_BATCH_CHUNKS ||
      this.used - BATCH_HEADER_SIZE + need > this.maxPayload
    ) {
      this.full = true;
      return -1;
    }
    if (this.used + need > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < this.used + need) size *= 2;
      const grown = allocFrame(Math.min(size, BATCH_HEADER_SIZE + this.maxPayload));
      grown.set(this.buf.subarray(0, this.used));
      this.buf = grown;
    }
    const at = writeEntryPrefix(this.buf, this.used, n);
    this.used = at + n;
    this.count++;
    return at;
  }

  /**
   * Writes the header and returns the whole frame (a view of {@link DataBatch.buf}), or an empty array when no entry
   * was written (a batch carries at least one chunk); the batch is then closed.
   */
  seal(): Uint8Array {
    this.sealed = true;
    if (this.count === 0) return this.buf.subarray(0, 0);
    writeBatchHeader(this.buf, 0, this.streamId, this.count, this.used - BATCH_HEADER_SIZE);
    return this.buf.subarray(0, this.used);
  }
}
