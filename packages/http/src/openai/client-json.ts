/**
 * The client's side of the OpenAI mapping: the contract's requests written as OpenAI bodies (what any
 * OpenAI-compatible server reads), and OpenAI's replies and streamed chunks read back into the contract. Pure: no
 * I/O. A request field the OpenAI API cannot carry (`options.top_k`, `system` on a legacy completion, `images` on
 * one) throws `InvalidArgument` naming it, rather than being dropped.
 *
 * @module
 */

import { create } from "@bufbuild/protobuf";
import { type Timestamp, timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  type ChatRequest,
  type ChatResponse,
  ChatResponseSchema,
  Code,
  type EmbedRequest,
  type EmbedResponse,
  EmbedResponseSchema,
  type GenerateRequest,
  type GenerateResponse,
  invalidArgument,
  type ListModelsResponse,
  ListModelsResponseSchema,
  type Message,
  type Metrics,
  ModelwireError,
  newChatResponse,
  newGenerateResponse,
  newMetrics,
  type Options,
  type ShowModelResponse,
  ShowModelResponseSchema,
  type Think,
} from "@modelwire/core";
import { encodeBase64, isRecord, type JsonRecord } from "../json-read.js";
import { optionsToJson } from "../ollama-options.js";
import { errorFromOpenAI } from "./errors.js";
import type {
  OpenAIChatRequestJson,
  OpenAICompletionRequestJson,
  OpenAIContentPartJson,
  OpenAIEmbeddingsRequestJson,
  OpenAIMessageJson,
  OpenAISamplingJson,
} from "./wire.js";

/** The Ollama options the OpenAI API carries, by their OpenAI name. */
const CARRIED: Readonly<Record<string, string>> = {
  temperature: "temperature",
  top_p: "top_p",
  seed: "seed",
  num_predict: "max_tokens",
  stop: "stop",
  frequency_penalty: "frequency_penalty",
  presence_penalty: "presence_penalty",
};

function notCarried(field: string): never {
  throw invalidArgument(field, `${field} is not carried by the OpenAI API`);
}

/** Sampling options as OpenAI fields; `num_predict` < 0 ("no limit") sends no `max_tokens`. */
function sampling(o: Options | undefined, out: OpenAISamplingJson): void {
  if (!o) return;
  const j = optionsToJson(o);
  for (const [key, value] of Object.entries(j)) {
    const name = CARRIED[key];
    if (name === undefined) notCarried(`options.${key}`);
    if (key === "num_predict" && (value as number) < 0) continue;
    (out as unknown as JsonRecord)[name] = value;
  }
}

function thinkToEffort(t: Think | undefined, out: { reasoning_effort?: string }): void {
  if (!t || t.value.case === undefined) return;
  if (t.value.case === "level") out.reasoning_effort = t.value.value;
  else if (!t.value.value) out.reasoning_effort = "none";
  else throw invalidArgument("think", "think: true has no OpenAI equivalent; send a level (low, medium, high)");
}

/** An image as a data URL, its type sniffed from the magic bytes (blank when unknown, which Ollama accepts). */
function dataUrl(bytes: Uint8Array): string {
  const b = bytes;
  const type =
    b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47
      ? "image/png"
      : b[0] === 0xff && b[1] === 0xd8
        ? "image/jpeg"
        : b[8] === 0x57 && b[9] === 0x45 && b[10] === 0x42 && b[11] === 0x50
          ? "image/webp"
          : "";
  return `data:${type};base64,${encodeBase64(bytes)}`;
}

function messageToOpenAI(m: Message, i: number): OpenAIMessageJson {
  const out: OpenAIMessageJson = { role: m.role, content: m.content };
  if (m.images.length > 0) {
    const parts: OpenAIContentPartJson[] = m.content ? [{ type: "text", text: m.content }] : [];
    for (const img of m.images) parts.push({ type: "image_url", image_url: { url: dataUrl(img) } });
    out.content = parts;
  }
  if (m.thinking) out.reasoning = m.thinking;
  if (m.toolCalls.length > 0) {
    out.tool_calls = m.toolCalls.map((c, j) => ({
      id: `call_${i}_${j}`,
      type: "function",
      function: { name: c.function?.name ?? "", arguments: JSON.stringify(c.function?.arguments ?? {}) },
    }));
  }
  if (m.toolName) out.name = m.toolName;
  return out;
}

/** `format` as `response_format`: `"json"` is `json_object`, a schema is `json_schema`. */
function responseFormat(format: string): OpenAIChatRequestJson["response_format"] {
  if (format === "") return undefined;
  let v: unknown;
  try {
    v = JSON.parse(format);
  } catch {
    throw invalidArgument("format", "format is not valid JSON text");
  }
  if (v === "json") return { type: "json_object" };
  if (isRecord(v)) return { type: "json_schema", json_schema: { name: "response", schema: v } };
  throw invalidArgument("format", 'format must be "json" or a JSON schema');
}

/** A chat request as a streamed `/v1/chat/completions` body (with `stream_options.include_usage`). */
export function chatRequestToOpenAI(r: ChatRequest, includeUsage = true): OpenAIChatRequestJson {
  if (r.keepAlive) notCarried("keep_alive");
  const out: OpenAIChatRequestJson = { model: r.model, messages: r.messages.map(messageToOpenAI), stream: true };
  if (includeUsage) out.stream_options = { include_usage: true };
  sampling(r.options, out);
  const rf = responseFormat(r.format);
  if (rf) out.response_format = rf;
  if (r.tools.length > 0) {
    out.tools = r.tools.map((t) => ({
      type: "function",
      function: {
        name: t.function?.name ?? "",
        ...(t.function?.description ? { description: t.function.description } : {}),
        ...(t.function?.parameters ? { parameters: t.function.parameters } : {}),
      },
    }));
  }
  thinkToEffort(r.think, out);
  return out;
}

/** A generate request as a streamed `/v1/completions` body; fields a legacy completion lacks are refused. */
export function completionRequestToOpenAI(r: GenerateRequest, includeUsage = true): OpenAICompletionRequestJson {
  if (r.system) notCarried("system");
  if (r.template) notCarried("template");
  if (r.context.length > 0) notCarried("context");
  if (r.raw) notCarried("raw");
  if (r.images.length > 0) notCarried("images");
  if (r.format) notCarried("format");
  if (r.keepAlive) notCarried("keep_alive");
  if (r.think?.value.case !== undefined) notCarried("think");
  const out: OpenAICompletionRequestJson = { model: r.model, prompt: r.prompt, stream: true };
  if (includeUsage) out.stream_options = { include_usage: true };
  if (r.suffix) out.suffix = r.suffix;
  sampling(r.options, out);
  return out;
}

/** An embed request as a `/v1/embeddings` body (floats; `truncate` and `options` have no OpenAI field). */
export function embeddingsRequestToOpenAI(r: EmbedRequest): OpenAIEmbeddingsRequestJson {
  if (r.keepAlive) notCarried("keep_alive");
  if (r.truncate === false) notCarried("truncate");
  const out: OpenAIEmbeddingsRequestJson = { model: r.model, input: [...r.input], encoding_format: "float" };
  if (r.dimensions > 0) out.dimensions = r.dimensions;
  return out;
}

function malformed(what: string): ModelwireError {
  return new ModelwireError(`malformed OpenAI reply: ${what}`, Code.Internal);
}

function seconds(v: unknown): Timestamp | undefined {
  return typeof v === "number" && Number.isFinite(v) ? timestampFromMs(v * 1000) : undefined;
}

function usageMetrics(u: unknown): Metrics | undefined {
  if (!isRecord(u)) return undefined;
  const prompt = typeof u.prompt_tokens === "number" ? u.prompt_tokens : 0;
  const completion = typeof u.completion_tokens === "number" ? u.completion_tokens : 0;
  return newMetrics(0n, 0n, prompt, 0n, completion, 0n);
}

/** `finish_reason` as Ollama's `done_reason`: `tool_calls` is a normal stop. */
function doneReason(finish: string): string {
  return finish === "tool_calls" ? "stop" : finish;
}

/** Reads one streamed chunk's common part, throwing an error event as the error it carries. */
function chunkOf(json: unknown): { o: JsonRecord; choice: JsonRecord | undefined } {
  if (!isRecord(json)) throw malformed("a stream event is not a JSON object");
  if (json.error !== undefined && json.error !== null) throw errorFromOpenAI(json);
  const choices = json.choices;
  if (choices !== undefined && !Array.isArray(choices)) throw malformed("choices is not an array");
  const first = choices?.[0];
  return { o: json, choice: isRecord(first) ? first : undefined };
}

/** Turns the events of one streamed reply into contract chunks; `end()` at `[DONE]` gives the final chunk. */
export interface StreamDecoder<T> {
  /** The chunks one event carries (none for a finish or usage event). */
  push(json: unknown): T[];
  /** The last chunks: tool calls collected from their deltas, then the final `done` chunk. */
  end(): T[];
}

/** The state both stream decoders keep: model, created, finish reason and usage. */
class Tail {
  model = "";
  created: Timestamp | undefined;
  finish: string | undefined;
  metrics: Metrics | undefined;

  read(o: JsonRecord, choice: JsonRecord | undefined): void {
    if (typeof o.model === "string") this.model = o.model;
    this.created ??= seconds(o.created);
    if (o.usage !== undefined && o.usage !== null) this.metrics = usageMetrics(o.usage);
    const f = choice?.finish_reason;
    if (typeof f === "string") this.finish = f;
  }

  reason(): string {
    if (this.finish === undefined) throw malformed("the stream ended at [DONE] without a finish_reason");
    return doneReason(this.finish);
  }
}

/**
 * Decodes a streamed chat completion: `delta.content` (and Ollama's `delta.reasoning` as thinking) become content
 * chunks; tool calls, streamed as fragments by index (id and name first, the arguments text in pieces), are
 * collected and sent as one chunk before the final one.
 */
export function createChatStreamDecoder(): StreamDecoder<ChatResponse> {
  const tail = new Tail();
  const calls = new Map<number, { name: string; args: string }>();
  return {
    push(json) {
      const { o, choice } = chunkOf(json);
      tail.read(o, choice);
      const delta = choice?.delta;
      if (!isRecord(delta)) return [];
      if (Array.isArray(delta.tool_calls)) {
        for (const [k, c] of delta.tool_calls.entries()) {
          if (!isRecord(c)) throw malformed("a tool call delta is not an object");
          const index = typeof c.index === "number" ? c.index : k;
          const call = calls.get(index) ?? { name: "", args: "" };
          const f = isRecord(c.function) ? c.function : {};
          if (typeof f.name === "string" && f.name !== "") call.name = f.name;
          if (typeof f.arguments === "string") call.args += f.arguments;
          calls.set(index, call);
        }
      }
      const content = typeof delta.content === "string" ? delta.content : "";
      const thinking = typeof delta.reasoning === "string" ? delta.reasoning : "";
      if (content === "" && thinking === "") return [];
      return [newChatResponse({ model: tail.model, createdAt: tail.created, role: "assistant", content, thinking })];
    },
    end() {
      const reason = tail.reason();
      const out: ChatResponse[] = [];
      if (calls.size > 0) {
        const toolCalls = [...calls.entries()]
          .sort(([a], [b]) => a - b)
          .map(([index, c]) => {
            let args: unknown = {};
            try {
              if (c.args.trim() !== "") args = JSON.parse(c.args);
            } catch {
              throw malformed(`tool call ${index} has arguments that are not JSON`);
            }
            if (!isRecord(args)) throw malformed(`tool call ${index} has arguments that are not an object`);
            return { function: { index, name: c.name, arguments: args as never } };
          });
        out.push(
          create(ChatResponseSchema, {
            model: tail.model,
            createdAt: tail.created,
            message: { role: "assistant", toolCalls },
          }),
        );
      }
      out.push(
        newChatResponse({
          model: tail.model,
          createdAt: tail.created,
          role: "assistant",
          done: true,
          doneReason: reason,
          metrics: tail.metrics,
        }),
      );
      return out;
    },
  };
}

/** Decodes a streamed legacy completion: each `choices[0].text` is a content chunk. */
export function createCompletionStreamDecoder(): StreamDecoder<GenerateResponse> {
  const tail = new Tail();
  return {
    push(json) {
      const { o, choice } = chunkOf(json);
      tail.read(o, choice);
      const text = choice?.text;
      if (typeof text !== "string" || text === "") return [];
      return [newGenerateResponse({ model: tail.model, createdAt: tail.created, response: text })];
    },
    end() {
      const doneReason = tail.reason();
      return [
        newGenerateResponse({
          model: tail.model,
          createdAt: tail.created,
          done: true,
          doneReason,
          metrics: tail.metrics,
        }),
      ];
    },
  };
}

function vector(v: unknown, i: number): number[] {
  if (typeof v === "string") {
    const b = Buffer.from(v, "base64");
    if (b.length % 4 !== 0) throw malformed(`data[${i}].embedding is not base64 float32`);
    return Array.from({ length: b.length / 4 }, (_, k) => b.readFloatLE(k * 4));
  }
  if (!Array.isArray(v) || v.some((x) => typeof x !== "number")) throw malformed(`data[${i}].embedding`);
  return v.map((x) => Math.fround(x as number));
}

/** Reads `/v1/embeddings`' reply (vectors ordered by `index`). */
export function embeddingListFromOpenAI(json: unknown): EmbedResponse {
  if (!isRecord(json) || !Array.isArray(json.data)) throw malformed("embeddings reply without data");
  const rows = json.data.map((d, i) => {
    if (!isRecord(d)) throw malformed(`data[${i}] is not an object`);
    return { index: typeof d.index === "number" ? d.index : i, values: vector(d.embedding, i) };
  });
  rows.sort((a, b) => a.index - b.index);
  const usage = isRecord(json.usage) ? json.usage : {};
  return create(EmbedResponseSchema, {
    model: typeof json.model === "string" ? json.model : "",
    embeddings: rows.map((r) => ({ values: r.values })),
    promptEvalCount: typeof usage.prompt_tokens === "number" ? usage.prompt_tokens : 0,
  });
}

/** Reads `/v1/models`' reply: each model's id as its name, `created` as its modification time. */
export function modelListFromOpenAI(json: unknown): ListModelsResponse {
  if (!isRecord(json) || !Array.isArray(json.data)) throw malformed("models reply without data");
  return create(ListModelsResponseSchema, {
    models: json.data.map((m, i) => {
      if (!isRecord(m) || typeof m.id !== "string") throw malformed(`data[${i}] has no id`);
      return { name: m.id, model: m.id, modifiedAt: seconds(m.created) };
    }),
  });
}

/** Reads `/v1/models/{model}`' reply: OpenAI tells only the modification time. */
export function modelFromOpenAI(json: unknown): ShowModelResponse {
  if (!isRecord(json) || typeof json.id !== "string") throw malformed("model reply without id");
  return create(ShowModelResponseSchema, { modifiedAt: seconds(json.created) });
}
