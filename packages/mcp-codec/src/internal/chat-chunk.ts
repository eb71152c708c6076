/**
 * The reply chunk codec (reply-chunk.ts) for `modelwire.v1.ChatResponse` chunks: `model` = 1,
 * `created_at` = 2, `message` = 3 (of which only `role` = 1, `content` = 2 and `thinking` = 3), `done` = 4,
 * `done_reason` = 5, `metrics` = 6. A chat stream sends one ChatResponse per token, so protobuf-es `toBinary` on the
 * server and `fromBinary` on the client cost as much per chat token as they did per generate token. Anything else
 * (images, tool calls, a tool name, unknown fields, negative or huge numbers, repeated fields, a chunk without a
 * message on the decoding side) returns `undefined` and the caller falls back to protobuf-es. Output and results
 * are identical to protobuf-es (tests compare them on random messages).
 */
import { type ChatResponse, newChatResponse } from "@modelwire/core";
import type { DataBatch } from "../batch.js";
import { FrameType } from "../constants.js";
import {
  BATCH_ENTRY,
  COMPACT_DATA,
  decodeReplyChunk,
  encodeReplyChunkFrame,
  hasUnknown,
  type ReplyChunkLayout,
  setBatchTarget,
} from "./reply-chunk.js";

/**
 * ChatResponse: the texts inside `message` (tag 0x1a) as `role` = 1, `content` = 2, `thinking` = 3; `done` = 4,
 * `done_reason` = 5, `metrics` = 6. A payload without `message` is declined: protobuf-es leaves it unset there,
 * newChatResponse always sets it.
 * @internal Exported for the drift test, which checks these tags against the generated schema.
 */
export const CHAT_LAYOUT: ReplyChunkLayout<ChatResponse> = {
  wrapTag: 0x1a,
  textTag: 0x0a,
  textCount: 3,
  doneTag: 0x20,
  doneReasonTag: 0x2a,
  contextTag: -1,
  metricsTag: 0x32,
  build: (model, createdAt, wrapped, role, content, thinking, done, doneReason, _context, metrics) =>
    wrapped ? newChatResponse({ model, createdAt, role, content, thinking, done, doneReason, metrics }) : undefined,
};

function encodeChatResponseFrame(
  type: FrameType,
  streamId: number,
  sequence: number,
  chunk: ChatResponse,
): Uint8Array | undefined {
  const m = chunk.message;
  if (m === undefined) return encodeReplyChunkFrame(type, streamId, sequence, CHAT_LAYOUT, chunk, false, "", "", "");
  if (m.images.length !== 0 || m.toolCalls.length !== 0 || m.toolName !== "" || hasUnknown(m)) return undefined;
  return encodeReplyChunkFrame(type, streamId, sequence, CHAT_LAYOUT, chunk, true, m.role, m.content, m.thinking);
}

/**
 * Encodes `chunk` as a whole DATA frame (header and payload in one buffer) when it is a plain content chunk (no
 * `done`, `done_reason` or `metrics`; a message of role, content and thinking only); otherwise returns `undefined`
 * (use protobuf-es). The payload is byte-identical to `toBinary(ChatResponseSchema)`.
 */
export function encodeChatContentFrame(streamId: number, seq: number, chunk: ChatResponse): Uint8Array | undefined {
  return encodeChatResponseFrame(FrameType.Data, streamId, seq, chunk);
}

/**
 * Encodes a plain content chunk as a whole compact DATA frame (docs/mcp-wire.md §4.8: 7-byte header, no `model`;
 * the caller checked the model equals the stream's previous chunk's), or returns `undefined` (send v1 DATA then).
 * The payload is byte-identical to `toBinary(ChatResponseSchema)` of the chunk with `model` cleared.
 */
export function encodeChatCompactFrame(streamId: number, chunk: ChatResponse): Uint8Array | undefined {
  return encodeChatResponseFrame(COMPACT_DATA, streamId, 0, chunk);
}

/**
 * Writes a plain content chunk as the next entry of `batch` (docs/mcp-wire.md §4.9, no `model`), or returns false
 * when it holds anything else or does not fit (`batch.full`). The entry is byte-identical to
 * `toBinary(ChatResponseSchema)` of the chunk with `model` cleared.
 */
export function encodeChatBatchEntry(batch: DataBatch, chunk: ChatResponse): boolean {
  setBatchTarget(batch);
  return encodeChatResponseFrame(BATCH_ENTRY, batch.streamId, 0, chunk) !== undefined;
}

/**
 * Encodes the final ChatResponse (`done`, `done_reason`, `metrics` and the content fields) as a whole END frame, or
 * returns `undefined` when it holds anything else (images, tool calls, a tool name, unknown fields, negative
 * numbers): use protobuf-es then. The payload is byte-identical to `toBinary(ChatResponseSchema)`.
 */
export function encodeChatFinalFrame(streamId: number, seq: number, chunk: ChatResponse): Uint8Array | undefined {
  return encodeChatResponseFrame(FrameType.End, streamId, seq, chunk);
}

/**
 * Decodes a ChatResponse payload that holds only content-chunk fields (model, created_at, a message of role,
 * content and thinking; each at most once); returns `undefined` for anything else (use protobuf-es `fromBinary`,
 * which also reports malformed input). The result equals what `fromBinary(ChatResponseSchema)` returns.
 * `start`..`end`: the message's bytes in `payload` (default all).
 */
export function decodeChatContentChunk(payload: Uint8Array, start = 0, end = payload.length): ChatResponse | undefined {
  return decodeReplyChunk(payload, false, CHAT_LAYOUT, start, end);
}

/**
 * Decodes a final ChatResponse payload: the content fields plus `done`, `done_reason` and `metrics`, each at most
 * once; returns `undefined` for anything else (images, tool calls, unknown or repeated fields, malformed input: use
 * protobuf-es `fromBinary`). The result equals what `fromBinary(ChatResponseSchema)` returns.
 */
export function decodeChatFinalChunk(payload: Uint8Array): ChatResponse | undefined {
  return decodeReplyChunk(payload, true, CHAT_LAYOUT);
}
