/**
 * Negotiated features (HELLO / WELCOME metadata key `features`) and the compact DATA frame of the `compact-data`
 * feature (docs/mcp-wire.md §4.7, §4.8): a 7-byte header — marker 0xDA, u32 stream id, u16 payload length — in
 * place of the 20-byte one, the sequence implied (the stream's next), and the chunk's `model` left out when it
 * equals the stream's previous chunk's. Pure: no I/O.
 */
import { MAX_STREAM_ID } from "./constants.js";

/** HELLO and WELCOME metadata key listing features: names separated by commas. */
export const FEATURES_KEY = "features";

/** The feature names this codec knows. */
export const Feature = {
  /** Compact DATA frames from server to client (§4.8). */
  CompactData: "compact-data",
  /** Batched DATA frames from server to client: a tick's chunks of one stream in one frame (§4.9, batch.ts). */
  BatchData: "batch-data",
} as const;

/** First byte of a compact DATA frame (a v1 header starts with 0x4D, the magic's first byte). */
export const COMPACT_DATA_MARKER = 0xda;

/** Size of a compact DATA frame's header: marker, u32 stream id, u16 length. */
export const COMPACT_HEADER_SIZE = 7;

/** Largest payload a compact DATA frame can carry (its length is a u16); larger chunks go as v1 DATA. */
export const COMPACT_MAX_PAYLOAD = 0xffff;

/** Longest `features` value read (bytes of UTF-16 here); a longer one is read as offering nothing. */
const MAX_FEATURES_LENGTH = 1024;

/**
 * The feature names in a `features` metadata value: split at commas, empty names dropped. Unknown names are kept
 * (the caller intersects with what it supports); a missing or over-long value offers nothing.
 */
export function parseFeatures(value: string | undefined): Set<string> {
  const out = new Set<string>();
  if (value === undefined || value.length > MAX_FEATURES_LENGTH) return out;
  for (const name of value.split(",")) if (name !== "") out.add(name);
  return out;
}

/** The `features` metadata value for `names` (in the given order, duplicates dropped). */
export function formatFeatures(names: Iterable<string>): string {
  return [...new Set(names)].join(",");
}

/**
 * Writes a compact DATA header at `o`: the marker, `streamId` (u32) and the payload `length` (u16), big-endian.
 * No validation: the caller keeps `streamId` in 1..2³¹−1 and `length` ≤ {@link COMPACT_MAX_PAYLOAD}.
 */
export function writeCompactHeader(b: Uint8Array, o: number, streamId: number, length: number): void {
  b[o] = COMPACT_DATA_MARKER;
  b[o + 1] = streamId >>> 24;
  b[o + 2] = streamId >>> 16;
  b[o + 3] = streamId >>> 8;
  b[o + 4] = streamId;
  b[o + 5] = length >>> 8;
  b[o + 6] = length;
}

/**
 * Encodes a compact DATA frame carrying `payload` (a chunk message already serialized, its `model` left out when
 * the stream's previous chunk had the same). Throws RangeError for a stream id outside 1..2³¹−1 or a payload over
 * {@link COMPACT_MAX_PAYLOAD} bytes.
 */
export function encodeCompactDataFrame(streamId: number, payload: Uint8Array): Uint8Array {
  if (!Number.isInteger(streamId) || streamId < 1 || streamId > MAX_STREAM_ID) {
    throw new RangeError(`compact DATA stream id ${streamId} outside 1..${MAX_STREAM_ID}`);
  }
  if (payload.length > COMPACT_MAX_PAYLOAD) {
    throw new RangeError(`compact DATA payload of ${payload.length} bytes exceeds ${COMPACT_MAX_PAYLOAD}`);
  }
  const out = new Uint8Array(COMPACT_HEADER_SIZE + payload.length);
  writeCompactHeader(out, 0, streamId, payload.length);
  out.set(payload, COMPACT_HEADER_SIZE);
  return out;
}
