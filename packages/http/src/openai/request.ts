/**
 * OpenAI request bodies read into the shared contract, as Ollama's `/v1` maps them onto its own API (ollama/ollama
 * `openai/openai.go`): chat completions onto a {@link ChatRequest}, legacy completions onto a
 * {@link GenerateRequest}, embeddings onto an {@link EmbedRequest}. Pure: no I/O.
 *
 * Every field is type-checked; a wrong type or an out-of-range value throws `InvalidArgument` whose
 * `metadata.field` names the OpenAI field (`temperature`, `messages[1].content[0].image_url`), which the server
 * sends back as the error's `param`. Fields Ollama ignores (`user`, `tool_choice`, `logit_bias`, `metadata`,
 * `store`, `parallel_tool_calls`, `service_tier`) are ignored; features modelwire cannot honour (`n > 1`,
 * `logprobs`, `echo`, `best_of > 1`) are refused rather than silently dropped.
 *
 * @module
 */

import { create } from "@bufbuild/protobuf";
import {
  type ChatRequest,
  ChatRequestSchema,
  type EmbedRequest,
  EmbedRequestSchema,
  type GenerateRequest,
  GenerateRequestSchema,
  invalidArgument,
  type Options,
  OptionsSchema,
  type Think,
  ThinkSchema,
} from "@modelwire/core";
import {
  asRecord,
  checkInteger,
  INT32,
  isRecord,
  type JsonRecord,
  jsonTypeName,
  path,
  readOptionalBool,
  readOptionalRecord,
  readString,
} from "../json-read.js";
import { messagesFromJson, toolsFromJson } from "./request-messages.js";

/** A chat completion request read into the contract, with the reply shape the caller asked for. */
export interface ChatCompletionCall {
  request: ChatRequest;
  /** `stream: true`: answer with Server-Sent Events. */
  stream: boolean;
  /** `stream_options.include_usage`: a last chunk with `usage` before `[DONE]`. */
  includeUsage: boolean;
}

/** A legacy completion request read into the contract. */
export interface CompletionCall {
  request: GenerateRequest;
  stream: boolean;
  includeUsage: boolean;
}

/** An embeddings request read into the contract. */
export interface EmbeddingsCall {
  request: EmbedRequest;
  /** `encoding_format: "base64"`: vectors as base64 of little-endian float32. */
  base64: boolean;
}

function body(obj: unknown): JsonRecord {
  if (!isRecord(obj)) throw invalidArgument("", `request body must be a JSON object, got ${jsonTypeName(obj)}`);
  return obj;
}

function requiredModel(o: JsonRecord): string {
  const model = readString(o, "model");
  if (model === "") throw invalidArgument("model", "model is required");
  return model;
}

/** Reads an optional number and checks it lies in [min, max] (OpenAI's documented ranges). */
function numberIn(o: JsonRecord, key: string, min: number, max: number): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw invalidArgument(key, `${key} must be a number, got ${jsonTypeName(v)}`);
  }
  if (v < min || v > max) throw invalidArgument(key, `${key} must be within [${min}, ${max}], got ${v}`);
  return v;
}

function optionalInteger(o: JsonRecord, key: string, min: number, max: number): number | undefined {
  const v = o[key];
  return v === undefined || v === null ? undefined : checkInteger(v, key, min, max);
}

/** `n`: one choice is all modelwire returns, so anything above 1 is refused (not silently answered with one). */
function checkSingleChoice(o: JsonRecord, key = "n"): void {
  const n = optionalInteger(o, key, 1, INT32[1]);
  if (n !== undefined && n > 1) {
    throw invalidArgument(key, `${key} = ${n} is not supported: only one choice is generated (use ${key} = 1)`);
  }
}

function refuse(field: string, what: string): never {
  throw invalidArgument(field, `${what} is not supported by this server`);
}

/** `stop`: a string or an array of strings; empty strings are dropped. */
function stopFromJson(v: unknown): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return v === "" ? [] : [v];
  if (!Array.isArray(v))
    throw invalidArgument("stop", `stop must be a string or an array of strings, got ${jsonTypeName(v)}`);
  return v
    .map((s, i) => {
      if (typeof s !== "string")
        throw invalidArgument(path("stop", i), `stop[${i}] must be a string, got ${jsonTypeName(s)}`);
      return s;
    })
    .filter((s) => s !== "");
}

/** `stream` and `stream_options.include_usage`. */
function streamFields(o: JsonRecord): { stream: boolean; includeUsage: boolean } {
  const stream = readOptionalBool(o, "stream") ?? false;
  const so = readOptionalRecord(o, "stream_options");
  const includeUsage = so ? (readOptionalBool(so, "include_usage", "stream_options") ?? false) : false;
  return { stream, includeUsage };
}

/**
 * The sampling options both completion kinds carry, as Ollama maps them: `temperature` and `top_p` default to
 * OpenAI's 1.0 when absent (not the model's own default), `max_tokens` is `num_predict`.
 */
function samplingOptions(o: JsonRecord, maxTokens: number | undefined, penaltiesAlways: boolean): Options {
  const temperature = numberIn(o, "temperature", 0, 2) ?? 1;
  const topP = numberIn(o, "top_p", 0, 1) ?? 1;
  const seed = optionalInteger(o, "seed", Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  const frequency = numberIn(o, "frequency_penalty", -2, 2);
  const presence = numberIn(o, "presence_penalty", -2, 2);
  const stop = stopFromJson(o.stop);
  return create(OptionsSchema, {
    temperature: Math.fround(temperature),
    topP: Math.fround(topP),
    seed: seed === undefined ? undefined : BigInt(seed),
    numPredict: maxTokens,
    frequencyPenalty: frequency !== undefined ? Math.fround(frequency) : penaltiesAlways ? 0 : undefined,
    presencePenalty: presence !== undefined ? Math.fround(presence) : penaltiesAlways ? 0 : undefined,
    stop: stop ?? [],
  });
}

/** `response_format` as Ollama's `format` text: `"json"` for json_object, the schema for json_schema. */
function formatFromResponseFormat(v: unknown): string {
  if (v === undefined || v === null) return "";
  const o = asRecord(v, "response_format");
  const type = readString(o, "type", "response_format").trim().toLowerCase();
  switch (type) {
    case "":
    case "text":
      return "";
    case "json_object":
      return JSON.stringify("json");
    case "json_schema": {
      const js = readOptionalRecord(o, "json_schema", "response_format");
      const schema = js ? readOptionalRecord(js, "schema", "response_format.json_schema") : undefined;
      if (!schema) {
        throw invalidArgument(
          "response_format.json_schema.schema",
          "response_format.json_schema.schema is required when type is json_schema",
        );
      }
      return JSON.stringify(schema);
    }
    default:
      throw invalidArgument(
        "response_format.type",
        `response_format.type must be "text", "json_object" or "json_schema", got ${JSON.stringify(type)}`,
      );
  }
}

/**
 * `reasoning_effort` (or `reasoning.effort`) as Ollama's `think`: "none" turns thinking off, the other efforts
 * clamp to the three levels the contract carries (minimal → low, xhigh/max → high).
 */
function thinkFromEffort(o: JsonRecord): Think | undefined {
  const reasoning = readOptionalRecord(o, "reasoning");
  const field = reasoning ? "reasoning.effort" : "reasoning_effort";
  const effort = reasoning ? readString(reasoning, "effort", "reasoning") : readString(o, "reasoning_effort");
  const level: Record<string, string> = {
    minimal: "low",
    low: "low",
    medium: "medium",
    high: "high",
    xhigh: "high",
    max: "high",
  };
  if (effort === "") return undefined;
  if (effort === "none") return create(ThinkSchema, { value: { case: "enabled", value: false } });
  const l = level[effort];
  if (!l) {
    throw invalidArgument(
      field,
      `${field} must be one of none, minimal, low, medium, high, xhigh, max; got ${JSON.stringify(effort)}`,
    );
  }
  return create(ThinkSchema, { value: { case: "level", value: l } });
}

/** Reads a `POST /v1/chat/completions` body. */
export function chatCompletionRequestFromJson(obj: unknown): ChatCompletionCall {
  const o = body(obj);
  const model = requiredModel(o);
  checkSingleChoice(o);
  if (readOptionalBool(o, "logprobs")) refuse("logprobs", "logprobs");
  if ((optionalInteger(o, "top_logprobs", 0, 20) ?? 0) > 0) refuse("top_logprobs", "top_logprobs");
  const raw = o.messages;
  if (!Array.isArray(raw)) {
    throw invalidArgument("messages", `messages must be an array, got ${jsonTypeName(raw ?? undefined)}`);
  }
  if (raw.length === 0) throw invalidArgument("messages", "messages must contain at least one message");
  const messages = raw.flatMap((_, i) => messagesFromJson(raw, i));
  const maxCompletion = optionalInteger(o, "max_completion_tokens", 0, INT32[1]);
  const maxTokens = maxCompletion ?? optionalInteger(o, "max_tokens", 0, INT32[1]);
  const { stream, includeUsage } = streamFields(o);
  const request = create(ChatRequestSchema, {
    model,
    messages,
    stream,
    format: formatFromResponseFormat(o.response_format),
    tools: toolsFromJson(o.tools),
    options: samplingOptions(o, maxTokens, false),
    think: thinkFromEffort(o),
  });
  return { request, stream, includeUsage };
}

/** Reads a `POST /v1/completions` body (`prompt` a string, or an array holding one string). */
export function completionRequestFromJson(obj: unknown): CompletionCall {
  const o = body(obj);
  const model = requiredModel(o);
  checkSingleChoice(o);
  const bestOf = optionalInteger(o, "best_of", 1, INT32[1]);
  if (bestOf !== undefined && bestOf > 1) refuse("best_of", "best_of > 1");
  if (readOptionalBool(o, "echo")) refuse("echo", "echo");
  if (o.logprobs !== undefined && o.logprobs !== null && o.logprobs !== 0) refuse("logprobs", "logprobs");
  let prompt = o.prompt;
  if (Array.isArray(prompt)) {
    if (prompt.length !== 1 || typeof prompt[0] !== "string") {
      throw invalidArgument("prompt", "prompt must be a string (an array is accepted only when it holds one string)");
    }
    prompt = prompt[0];
  }
  if (prompt !== undefined && prompt !== null && typeof prompt !== "string") {
    throw invalidArgument("prompt", `prompt must be a string, got ${jsonTypeName(prompt)}`);
  }
  const { stream, includeUsage } = streamFields(o);
  const request = create(GenerateRequestSchema, {
    model,
    prompt: (prompt as string | undefined | null) ?? "",
    suffix: readString(o, "suffix"),
    stream,
    options: samplingOptions(o, optionalInteger(o, "max_tokens", 0, INT32[1]), true),
  });
  return { request, stream, includeUsage };
}

/** Reads a `POST /v1/embeddings` body (`input` a string or a non-empty array of strings). */
export function embeddingsRequestFromJson(obj: unknown): EmbeddingsCall {
  const o = body(obj);
  const model = requiredModel(o);
  let input: string[];
  if (typeof o.input === "string") input = [o.input];
  else if (Array.isArray(o.input)) {
    if (o.input.length === 0) throw invalidArgument("input", "input must not be an empty array");
    input = o.input.map((s, i) => {
      if (typeof s !== "string") {
        throw invalidArgument(
          path("input", i),
          `input[${i}] must be a string (token arrays are not supported), got ${jsonTypeName(s)}`,
        );
      }
      return s;
    });
  } else
    throw invalidArgument(
      "input",
      `input must be a string or an array of strings, got ${jsonTypeName(o.input ?? undefined)}`,
    );
  const format = readString(o, "encoding_format").toLowerCase();
  if (format !== "" && format !== "float" && format !== "base64") {
    throw invalidArgument(
      "encoding_format",
      `encoding_format must be "float" or "base64", got ${JSON.stringify(o.encoding_format)}`,
    );
  }
  const dimensions = optionalInteger(o, "dimensions", 1, INT32[1]) ?? 0;
  return { request: create(EmbedRequestSchema, { model, input, dimensions }), base64: format === "base64" };
}
