/**
 * The response cache's stored value: a reply's chunks as they came from the engine, as Protobuf, behind a small
 * header. One byte layout for the in-memory store and Redis, so both hold exactly what was streamed and the
 * in-memory store's byte bound counts real bytes. Pure: no I/O.
 *
 * Layout (little-endian): u8 version (1), u8 kind (1 generate, 2 chat), u16 reserved (0), f64 stored-at epoch
 * milliseconds, u32 chunk count, then per chunk u32 length + the chunk's Protobuf bytes (GenerateResponse or
 * ChatResponse). The last chunk is the final one (`done`).
 *
 * @module
 */
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  type ChatResponse,
  ChatResponseSchema,
  Code,
  type GenerateResponse,
  GenerateResponseSchema,
  ModelwireError,
} from "@modelwire/core";

/** Which method a stored reply answers. */
export type ReplyKind = "generate" | "chat";

/** The chunk message of each kind. */
export type ChunkOf<K extends ReplyKind> = K extends "generate" ? GenerateResponse : ChatResponse;

/** A decoded stored reply. */
export interface StoredReply<K extends ReplyKind = ReplyKind> {
  kind: K;
  /** When it was stored (epoch ms). */
  storedAtMs: number;
  /** The chunks, the final (`done`) one last. */
  chunks: ChunkOf<K>[];
}

const VERSION = 1;
const HEADER = 16;
/** Chunks a stored reply may hold (a reply of more tokens is not cached). */
export const MAX_STORED_CHUNKS = 1 << 20;

const KIND_CODE: Record<ReplyKind, number> = { generate: 1, chat: 2 };

/** Encodes one chunk for {@link encodeStoredReply}. */
export function encodeChunk<K extends ReplyKind>(kind: K, chunk: ChunkOf<K>): Uint8Array {
  return kind === "generate"
    ? toBinary(GenerateResponseSchema, chunk as GenerateResponse)
    : toBinary(ChatResponseSchema, chunk as ChatResponse);
}

/** Joins encoded chunks (from {@link encodeChunk}) into one stored value. */
export function encodeStoredReply(kind: ReplyKind, storedAtMs: number, chunks: readonly Uint8Array[]): Uint8Array {
  let size = HEADER;
  for (const c of chunks) size += 4 + c.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = VERSION;
  out[1] = KIND_CODE[kind];
  view.setFloat64(4, storedAtMs, true);
  view.setUint32(12, chunks.length, true);
  let o = HEADER;
  for (const c of chunks) {
    view.setUint32(o, c.length, true);
    out.set(c, o + 4);
    o += 4 + c.length;
  }
  return out;
}

function corrupt(why: string): ModelwireError {
  return new ModelwireError(`stored reply is corrupt: ${why}`, Code.DataLoss, { reason: "cache_corrupt" });
}

/**
 * Decodes a stored value of `kind`. Throws `DataLoss` for anything malformed (wrong version or kind, truncation,
 * trailing bytes, a chunk that does not parse, a last chunk that is not final): the caller treats it as a miss.
 */
export function decodeStoredReply<K extends ReplyKind>(kind: K, b: Uint8Array): StoredReply<K> {
  if (b.length < HEADER) throw corrupt(`${b.length} bytes, shorter than the header`);
  if (b[0] !== VERSION) throw corrupt(`version ${b[0]}`);
  if (b[1] !== KIND_CODE[kind]) throw corrupt(`kind ${b[1]}, expected ${KIND_CODE[kind]}`);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const storedAtMs = view.getFloat64(4, true);
  const count = view.getUint32(12, true);
  if (!Number.isFinite(storedAtMs) || storedAtMs < 0) throw corrupt("bad stored-at time");
  if (count === 0 || count > MAX_STORED_CHUNKS) throw corrupt(`${count} chunks`);
  const chunks: ChunkOf<K>[] = [];
  let o = HEADER;
  for (let i = 0; i < count; i++) {
    if (o + 4 > b.length) throw corrupt("truncated chunk length");
    const len = view.getUint32(o, true);
    o += 4;
    if (o + len > b.length) throw corrupt("truncated chunk");
    const bytes = b.subarray(o, o + len);
    o += len;
    try {
      chunks.push(
        (kind === "generate"
          ? fromBinary(GenerateResponseSchema, bytes)
          : fromBinary(ChatResponseSchema, bytes)) as ChunkOf<K>,
      );
    } catch (e) {
      throw corrupt(`chunk ${i}: ${(e as Error).message}`);
    }
  }
  if (o !== b.length) throw corrupt(`${b.length - o} trailing bytes`);
  const last = chunks[chunks.length - 1];
  if (!last.done) throw corrupt("the last chunk is not final");
  return { kind, storedAtMs, chunks };
}
