import type { ServerResponse } from "node:http";
import { create } from "@bufbuild/protobuf";
import {
  abortReason,
  type ChatResponse,
  ChatResponseSchema,
  Code,
  type GenerateResponse,
  GenerateResponseSchema,
  MessageSchema,
  ModelwireError,
  type ToolCall,
} from "@modelwire/core";
import { errorToJson } from "./ollama-error.js";
import type { CallContext } from "./route-table.js";
import { NDJSON_TYPE, StreamTextWriter, sendJson } from "./server-response.js";

/** How a streamed reply's chunks are framed on the body. */
export interface StreamFraming<T> {
  /** The headers of the streamed reply (its content type). */
  headers: Readonly<Record<string, string>>;
  /** The text of one chunk (possibly several events). */
  encode(chunk: T): string;
  /** The text that ends a complete stream (`""` for none). */
  end: string;
  /** The text of a failure after the reply began (the last thing sent). */
  error(err: ModelwireError): string;
}

/** How one streaming call's chunks become its reply. */
export interface StreamReply<T extends { done: boolean }> {
  /** A chunk, or the joined reply of `stream: false`, as JSON (Ollama's shape unless `framing` says otherwise). */
  toJson(chunk: T): unknown;
  /** Joins every chunk into the one reply of `stream: false`. */
  join(chunks: T[]): T;
  /** Whether a chunk carries content (reported to the observer as a chunk). */
  isContent(chunk: T): boolean;
  /** How streamed chunks are framed. Default: Ollama's NDJSON, one `toJson` object per line. */
  framing?: StreamFraming<T>;
  /** A first chunk that is answered as one JSON object even when streaming (Ollama's load and unload replies). */
  answerAlone?(first: T): boolean;
}

/** Ollama's framing: NDJSON, one object per line, and a last `{"error": ...}` line on failure. */
export function ndjsonFraming<T>(toJson: (chunk: T) => unknown): StreamFraming<T> {
  return {
    headers: { "Content-Type": NDJSON_TYPE },
    encode: (chunk) => `${JSON.stringify(toJson(chunk))}\n`,
    end: "",
    error: (err) => `${JSON.stringify(errorToJson(err))}\n`,
  };
}

/**
 * Answers a streaming call: streamed chunks (Ollama's NDJSON, one chunk per line, unless `reply.framing` says
 * otherwise), or with `stream: false` one joined object. The first chunk is pulled before the status is committed,
 * so an unknown model is a real 404 and a refused call a real 503. Chunks written in one event-loop turn share a
 * socket write. An error after streaming began is the framing's last error text (and rethrown, so the call
 * fails); a stream that ends without a final `done` chunk is an INTERNAL error, never a reply that looks complete.
 */
export async function sendStream<T extends { done: boolean }>(
  res: ServerResponse,
  call: CallContext,
  stream: boolean,
  source: AsyncIterable<T>,
  reply: StreamReply<T>,
): Promise<void> {
  const it = source[Symbol.asyncIterator]();
  let finished = false;
  try {
    let next = await it.next();
    if (stream && !next.done && reply.answerAlone?.(next.value)) {
      finished = true;
      sendJson(res, 200, reply.toJson(next.value));
      return;
    }
    if (!stream) {
      const chunks: T[] = [];
      while (!next.done) {
        if (reply.isContent(next.value)) call.observer.chunk();
        chunks.push(next.value);
        if (next.value.done) break;
        next = await it.next();
      }
      finished = true;
      if (chunks.length === 0 || !chunks[chunks.length - 1].done) throw endedWithoutFinal();
      sendJson(res, 200, reply.toJson(reply.join(chunks)));
      return;
    }
    const framing = reply.framing ?? ndjsonFraming(reply.toJson);
    res.writeHead(200, framing.headers);
    const writer = new StreamTextWriter(res, call.ctx.signal);
    try {
      let sawDone = false;
      while (!next.done) {
        const chunk = next.value;
        if (reply.isContent(chunk)) call.observer.chunk();
        const wait = writer.writeText(framing.encode(chunk));
        if (wait) await wait;
        if (res.destroyed) throw new ModelwireError("client disconnected", Code.Canceled);
        // A write stall or deadline fired while this chunk waited: end with its error, not with the next chunk.
        if (call.ctx.signal.aborted) throw abortReason(call.ctx.signal);
        if (chunk.done) {
          sawDone = true;
          break;
        }
        next = await it.next();
      }
      finished = true;
      if (!sawDone) throw endedWithoutFinal();
      writer.endText(framing.end || undefined);
    } catch (e) {
      const err = ModelwireError.from(e, Code.Internal);
      if (!res.destroyed && !res.writableEnded) writer.endText(framing.error(err));
      throw err;
    }
  } finally {
    if (!finished) await it.return?.(undefined)?.catch(() => {});
    else void it.return?.(undefined)?.catch(() => {});
  }
}

function endedWithoutFinal(): ModelwireError {
  return new ModelwireError("engine stream ended without a final chunk", Code.Internal);
}

/** Joins streamed generate chunks into the one reply of `stream: false`. */
export function joinGenerate(chunks: GenerateResponse[]): GenerateResponse {
  const last = chunks[chunks.length - 1];
  return create(GenerateResponseSchema, {
    ...last,
    response: chunks.map((c) => c.response).join(""),
    thinking: chunks.map((c) => c.thinking).join(""),
  });
}

/** Joins streamed chat chunks into the one reply of `stream: false`. */
export function joinChat(chunks: ChatResponse[]): ChatResponse {
  const last = chunks[chunks.length - 1];
  const toolCalls: ToolCall[] = chunks.flatMap((c) => c.message?.toolCalls ?? []);
  return create(ChatResponseSchema, {
    ...last,
    message: create(MessageSchema, {
      role: last.message?.role || "assistant",
      content: chunks.map((c) => c.message?.content ?? "").join(""),
      thinking: chunks.map((c) => c.message?.thinking ?? "").join(""),
      toolCalls,
    }),
  });
}
