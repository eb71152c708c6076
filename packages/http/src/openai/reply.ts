/**
 * The contract's replies written as OpenAI's JSON, as Ollama's `/v1` writes them (ollama/ollama
 * `openai/openai.go`, `middleware/openai.go`): streamed chat and completion chunks, the non-streamed replies,
 * the model list and embeddings. Pure: no I/O; the chunk encoders return JSON texts the SSE writer frames.
 *
 * @module
 */

import { randomBytes } from "node:crypto";
import type {
  ChatResponse,
  EmbedResponse,
  GenerateResponse,
  ListModelsResponse,
  Metrics,
  ShowModelResponse,
  ToolCall,
} from "@modelwire/core";
import type {
  OpenAIChatCompletionJson,
  OpenAICompletionJson,
  OpenAIDeltaJson,
  OpenAIEmbeddingListJson,
  OpenAIModelJson,
  OpenAIModelListJson,
  OpenAIToolCallJson,
  OpenAIUsageJson,
} from "./wire.js";

/** What every reply says it was made by. */
export const SYSTEM_FINGERPRINT = "fp_modelwire";

const ID_PREFIX = randomBytes(6).toString("hex");
let idCounter = 0;

/** A fresh reply id (`chatcmpl-…`, `cmpl-…`, `call_…`): a per-process random prefix and a counter. */
export function newReplyId(kind: "chatcmpl-" | "cmpl-" | "call_"): string {
  idCounter = (idCounter + 1) % Number.MAX_SAFE_INTEGER;
  return `${kind}${ID_PREFIX}${idCounter.toString(36)}`;
}

/** Unix seconds of a chunk's `created_at`, or now when it has none. */
function createdSeconds(c: { createdAt?: { seconds: bigint } }): number {
  return c.createdAt ? Number(c.createdAt.seconds) : Math.floor(Date.now() / 1000);
}

/** Token counts from a final chunk's metrics. */
export function usageOf(m: Metrics | undefined): OpenAIUsageJson {
  const prompt = m?.promptEvalCount ?? 0;
  const completion = m?.evalCount ?? 0;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** `finish_reason` from Ollama's `done_reason`: "stop" becomes "tool_calls" once tools were called; others pass. */
export function finishReason(doneReason: string, toolCalled: boolean): string {
  const reason = doneReason || "stop";
  return reason === "stop" && toolCalled ? "tool_calls" : reason;
}

/**
 * Tool calls with fresh ids and their arguments as JSON text. For stream deltas, `firstIndex` is the number of
 * calls already sent in the stream: OpenAI's clients gather deltas by `index` (the call's position in the reply),
 * so each whole call gets the next position, whatever `function.index` the engine set (an Ollama chunk without an
 * index reads as 0, and two calls at index 0 would be merged into one by the client).
 */
function toolCallsToJson(calls: readonly ToolCall[], firstIndex?: number): OpenAIToolCallJson[] {
  return calls.map((c, i) => {
    const out: OpenAIToolCallJson = {
      id: newReplyId("call_"),
      type: "function",
      function: { name: c.function?.name ?? "", arguments: JSON.stringify(c.function?.arguments ?? {}) },
    };
    if (firstIndex !== undefined) out.index = firstIndex + i;
    return out;
  });
}

/** JSON text of a chunk's fixed head, cached per model: everything before the delta. */
class ChunkHead {
  private model: string | undefined;
  private head = "";
  constructor(
    private readonly id: string,
    private readonly object: string,
    private readonly created: number,
  ) {}

  /** `{"id":…,"object":…,"created":…,"model":…,"system_fingerprint":…,"choices":` */
  of(model: string): string {
    if (model !== this.model) {
      this.model = model;
      this.head =
        `{"id":${JSON.stringify(this.id)},"object":"${this.object}","created":${this.created},` +
        `"model":${JSON.stringify(model)},"system_fingerprint":"${SYSTEM_FINGERPRINT}","choices":`;
    }
    return this.head;
  }
}

/** Encodes one streamed chat reply chunk by chunk. */
export interface ChatChunkEncoder {
  /** The JSON texts (zero or more events) for one engine chunk; a final chunk adds the finish (and usage) chunks. */
  encode(chunk: ChatResponse): string[];
}

/**
 * Creates the encoder of one streamed chat completion. The first chunk's delta carries `role: "assistant"`;
 * a chunk with both thinking and content is sent as two (reasoning, then content); the engine's final chunk,
 * which only carries metrics, becomes a chunk with an empty delta and `finish_reason`, then, with
 * `includeUsage`, a chunk with no choices and `usage`. Every chunk has the `created` of the first.
 */
export function createChatChunkEncoder(id: string, includeUsage: boolean): ChatChunkEncoder {
  let head: ChunkHead | undefined;
  let first = true;
  let callsSent = 0;
  const content = (h: string, delta: OpenAIDeltaJson) =>
    `${h}[{"index":0,"delta":${JSON.stringify(delta)},"finish_reason":null}]}`;
  return {
    encode(c) {
      head ??= new ChunkHead(id, "chat.completion.chunk", createdSeconds(c));
      const h = head.of(c.model);
      const out: string[] = [];
      const m = c.message;
      const text = m?.content ?? "";
      const thinking = m?.thinking ?? "";
      const calls = m?.toolCalls ?? [];
      // A final chunk without text is the metrics trailer: no content chunk for it, unless nothing came before.
      if (!c.done || first || text !== "" || thinking !== "" || calls.length > 0) {
        const role = first ? { role: "assistant" } : {};
        first = false;
        if (thinking !== "" && (text !== "" || calls.length > 0)) {
          out.push(content(h, { ...role, reasoning: thinking }));
          out.push(
            content(
              h,
              calls.length > 0 ? { content: text, tool_calls: toolCallsToJson(calls, callsSent) } : { content: text },
            ),
          );
        } else {
          const delta: OpenAIDeltaJson = { ...role, content: text };
          if (thinking !== "") delta.reasoning = thinking;
          if (calls.length > 0) delta.tool_calls = toolCallsToJson(calls, callsSent);
          out.push(content(h, delta));
        }
        callsSent += calls.length;
      }
      if (c.done) {
        out.push(
          `${h}[{"index":0,"delta":{},"finish_reason":${JSON.stringify(finishReason(c.doneReason, callsSent > 0))}}]}`,
        );
        if (includeUsage) out.push(`${h}[],"usage":${JSON.stringify(usageOf(c.metrics))}}`);
      }
      return out;
    },
  };
}

/** Encodes one streamed legacy completion chunk by chunk. */
export interface CompletionChunkEncoder {
  encode(chunk: GenerateResponse): string[];
}

/**
 * Creates the encoder of one streamed legacy completion: one `text_completion` chunk per engine chunk (the final
 * one with `finish_reason`), then, with `includeUsage`, a chunk with no choices and `usage`. Thinking text has no
 * place in a legacy completion and is not sent.
 */
export function createCompletionChunkEncoder(id: string, includeUsage: boolean): CompletionChunkEncoder {
  let head: ChunkHead | undefined;
  return {
    encode(c) {
      head ??= new ChunkHead(id, "text_completion", createdSeconds(c));
      const h = head.of(c.model);
      const reason = c.done ? JSON.stringify(finishReason(c.doneReason, false)) : "null";
      const chunk = `${h}[{"index":0,"text":${JSON.stringify(c.response)},"finish_reason":${reason}}]}`;
      if (!c.done || !includeUsage) return [chunk];
      return [chunk, `${h}[],"usage":${JSON.stringify(usageOf(c.metrics))}}`];
    },
  };
}

/** The non-streamed chat reply for the joined chunks of a chat call. */
export function chatCompletionToJson(id: string, reply: ChatResponse): OpenAIChatCompletionJson {
  const m = reply.message;
  const calls = m?.toolCalls ?? [];
  const message: OpenAIChatCompletionJson["choices"][number]["message"] = {
    role: m?.role || "assistant",
    content: m?.content ?? "",
  };
  if (m?.thinking) message.reasoning = m.thinking;
  if (calls.length > 0) message.tool_calls = toolCallsToJson(calls);
  return {
    id,
    object: "chat.completion",
    created: createdSeconds(reply),
    model: reply.model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices: [
      { index: 0, message, finish_reason: reply.doneReason ? finishReason(reply.doneReason, calls.length > 0) : null },
    ],
    usage: usageOf(reply.metrics),
  };
}

/** The non-streamed legacy completion reply for the joined chunks of a generate call. */
export function completionToJson(id: string, reply: GenerateResponse): OpenAICompletionJson {
  return {
    id,
    object: "text_completion",
    created: createdSeconds(reply),
    model: reply.model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices: [
      {
        index: 0,
        text: reply.response,
        finish_reason: reply.doneReason ? finishReason(reply.doneReason, false) : null,
      },
    ],
    usage: usageOf(reply.metrics),
  };
}

/** `owned_by`: the namespace of an Ollama model name (`user/model:tag` → `user`), `library` when it has none. */
export function ownerOf(name: string): string {
  const parts = name.split("/");
  if (parts.length >= 3) return parts[parts.length - 2] || "library";
  if (parts.length === 2) return parts[0] || "library";
  return "library";
}

/** `GET /v1/models`: every model, `created` from its modification time. */
export function modelListToJson(list: ListModelsResponse): OpenAIModelListJson {
  return {
    object: "list",
    data: list.models.map((m) => {
      const id = m.model || m.name;
      return { id, object: "model", created: m.modifiedAt ? Number(m.modifiedAt.seconds) : 0, owned_by: ownerOf(id) };
    }),
  };
}

/** `GET /v1/models/{model}`: the model as the caller named it. */
export function modelToJson(id: string, show: ShowModelResponse): OpenAIModelJson {
  return { id, object: "model", created: show.modifiedAt ? Number(show.modifiedAt.seconds) : 0, owned_by: ownerOf(id) };
}

/** Base64 of the little-endian float32 bytes of a vector (`encoding_format: "base64"`). */
export function floatsToBase64(values: readonly number[]): string {
  const b = Buffer.allocUnsafe(values.length * 4);
  for (let i = 0; i < values.length; i++) b.writeFloatLE(values[i], i * 4);
  return b.toString("base64");
}

/** `POST /v1/embeddings`'s reply; usage counts the prompt tokens only. */
export function embeddingListToJson(model: string, reply: EmbedResponse, base64: boolean): OpenAIEmbeddingListJson {
  return {
    object: "list",
    data: reply.embeddings.map((e, index) => ({
      object: "embedding",
      embedding: base64 ? floatsToBase64(e.values) : [...e.values],
      index,
    })),
    model,
    usage: { prompt_tokens: reply.promptEvalCount, total_tokens: reply.promptEvalCount },
  };
}
