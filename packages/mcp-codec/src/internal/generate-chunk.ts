/**
 * The hand-written codec of the hot GenerateResponse chunks on top of the reply chunk codec (reply-chunk.ts): the
 * *content* chunk (fields `model` = 1, `created_at` = 2, `response` = 3, `thinking` = 4; nothing else set) and the
 * *final* chunk (`done`, `done_reason`, packed `context`, `metrics` besides the content fields). Anything else
 * (unknown fields, negative numbers, unpacked or repeated fields) returns `undefined` and the caller falls back to
 * protobuf-es. Output
 * and results are identical to protobuf-es (tests compare them on random messages).
 */
import { type GenerateResponse, newGenerateResponse } from "@modelwire/core";
import type { DataBatch } from "../batch.js";
import { FrameType } from "../constants.js";
import {
  BATCH_ENTRY,
  COMPACT_DATA,
  decodeReplyChunk,
  encodeReplyChunkFrame,
  type ReplyChunkLayout,
  setBatchTarget,
} from "./reply-chunk.js";

/**
 * GenerateResponse: `response` = 3, `thinking` = 4, `done` = 5, `done_reason` = 6, `metrics` = 8.
 * @internal Exported for the drift test, which checks these tags against the generated schema.
 */
export const GENERATE_LAYOUT: ReplyChunkLayout<GenerateResponse> = {
  wrapTag: -1,
  textTag: 0x1a,
  textCount: 2,
  doneTag: 0x28,
  doneReasonTag: 0x32,
  contextTag: 0x3a,
  metricsTag: 0x42,
  build: (model, createdAt, _wrapped, response, thinking, _text2, done, doneReason, context, metrics) =>
    newGenerateResponse({ model, response, thinking, createdAt, done, doneReason, context, metrics }),
};

function encodeGenerateResponseFrame(
  type: FrameType,
  streamId: number,
  sequence: number,
  chunk: GenerateResponse,
): Uint8Array | undefined {
  return encodeReplyChunkFrame(
    type,
    streamId,
    sequence,
    GENERATE_LAYOUT,
    chunk,
    false,
    chunk.response,
    chunk.thinking,
    "",
    chunk.context,
  );
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
  return encodeGenerateResponseFrame(FrameType.Data, streamId, sequence, chunk);
}

/**
 * Encodes a plain content chunk as a whole compact DATA frame (docs/mcp-wire.md §4.8: 7-byte header, no `model`;
 * the caller checked the model equals the stream's previous chunk's), or returns `undefined` when the chunk holds
 * anything else or its payload exceeds 65535 bytes (send it as v1 DATA then). The payload is byte-identical to
 * `toBinary(GenerateResponseSchema)` of the chunk with `model` cleared.
 */
export function encodeCompactContentFrame(streamId: number, chunk: GenerateResponse): Uint8Array | undefined {
  return encodeGenerateResponseFrame(COMPACT_DATA, streamId, 0, chunk);
}

/**
 * Writes a plain content chunk as the next entry of `batch` (docs/mcp-wire.md §4.9: no `model`; the caller checked
 * it equals the stream's previous chunk's); false when the chunk holds anything else or does not fit (`batch.full`).
 * The entry is byte-identical to `toBinary(GenerateResponseSchema)` of the chunk with `model` cleared.
 */
export function encodeContentBatchEntry(batch: DataBatch, chunk: GenerateResponse): boolean {
  setBatchTarget(batch);
  return encodeGenerateResponseFrame(BATCH_ENTRY, batch.streamId, 0, chunk) !== undefined;
}

/**
 * Encodes the final GenerateResponse (`done`, `done_reason`, `context`, `metrics` and the content fields) as a whole
 * END frame, or returns `undefined` when it holds anything else (unknown fields, negative numbers): use
 * protobuf-es then. The payload is byte-identical to `toBinary(GenerateResponseSchema)`.
 */
export function encodeFinalChunkFrame(
  streamId: number,
  sequence: number,
  chunk: GenerateResponse,
): Uint8Array | undefined {
  return encodeGenerateResponseFrame(FrameType.End, streamId, sequence, chunk);
}

/**
 * Decodes a GenerateResponse payload that holds only content-chunk fields (model, created_at, response,
 * thinking, each at most once); returns `undefined` for anything else (use protobuf-es `fromBinary`, which also
 * reports malformed input). The result equals what `fromBinary(GenerateResponseSchema)` returns. `start`..`end`:
 * the message's bytes in `b` (default all).
 */
export function decodeContentChunk(b: Uint8Array, start = 0, end = b.length): GenerateResponse | undefined {
  return decodeReplyChunk(b, false, GENERATE_LAYOUT, start, end);
}

/**
 * Decodes a final GenerateResponse payload: the content fields plus `done`, `done_reason`, a packed `context` and
 * `metrics`, each at most once; returns `undefined` for anything else (unpacked `context`, negative ids, unknown or
 * repeated fields, malformed input: use
 * protobuf-es `fromBinary`). The result equals what `fromBinary(GenerateResponseSchema)` returns.
 */
export function decodeFinalChunk(b: Uint8Array): GenerateResponse | undefined {
  return decodeReplyChunk(b, true, GENERATE_LAYOUT);
}
