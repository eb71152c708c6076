/**
 * Ollama's JSON wire shapes (api/types.go in ollama/ollama) to and from the contract's Protobuf messages. The
 * server reads requests and writes responses with these; the client does the reverse. Field names are exactly
 * Ollama's (snake_case); a value of the wrong type throws a {@link ModelwireError} with `Code.InvalidArgument` whose
 * `metadata.field` names the key (`"options.temperature"`, `"messages[2].images[0]"`); unknown keys are ignored.
 */

import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { create } from "@bufbuild/protobuf";
import {
  type CacheHit,
  CacheHitSchema,
  type ChatRequest,
  ChatRequestSchema,
  type ChatResponse,
  ChatResponseSchema,
  type EmbedRequest,
  EmbedRequestSchema,
  type EmbedResponse,
  EmbedResponseSchema,
  type GenerateRequest,
  GenerateRequestSchema,
  type GenerateResponse,
  GenerateResponseSchema,
  invalidArgument,
  type ListModelsResponse,
  ListModelsResponseSchema,
  type ListRunningResponse,
  ListRunningResponseSchema,
  type Message,
  type Metrics,
  MetricsSchema,
  type ModelDetails,
  ModelDetailsSchema,
  type ModelInfo,
  ModelInfoSchema,
  type ShowModelRequest,
  ShowModelRequestSchema,
  type ShowModelResponse,
  ShowModelResponseSchema,
  type Think,
  ThinkSchema,
  type Tool,
  type ToolCall,
  type VersionResponse,
  VersionResponseSchema,
} from "@modelwire/core";
import { keepAliveFromJson, keepAliveToJson } from "./go-duration.js";
import {
  asRecord,
  checkInteger,
  decodeBase64,
  encodeBase64,
  INT32,
  isRecord,
  type JsonRecord,
  jsonTypeName,
  path,
  readArray,
  readBool,
  readInt32,
  readInt64,
  readOptionalBool,
  readOptionalRecord,
  readString,
  stringItem,
} from "./json-read.js";
import { optionsFromJson, optionsToJson } from "./ollama-options.js";
import { formatRfc3339, parseRfc3339 } from "./rfc3339.js";

// ---------------------------------------------------------------------------------------------------------------
// Wire types (what goes over HTTP). Optional keys are omitted when Ollama omits them.

/** Ollama's `options` object: typed keys plus any others (ignored). */
export type OllamaOptionsJson = { [key: string]: unknown };

/** Ollama's `think`: a boolean or a level ("high", "medium", "low"). */
export type OllamaThinkJson = boolean | string;

/** The body of `POST /api/generate`. */
export interface OllamaGenerateRequestJson {
  model: string;
  prompt?: string;
  suffix?: string;
  system?: string;
  template?: string;
  context?: number[];
  stream?: boolean;
  raw?: boolean;
  format?: JsonValue;
  keep_alive?: string | number;
  images?: string[];
  options?: OllamaOptionsJson;
  think?: OllamaThinkJson;
}

/** The duration and count fields Ollama flattens into a final chunk (nanoseconds). */
export interface OllamaMetricsJson {
  total_duration?: number;
  load_duration?: number;
  prompt_eval_count?: number;
  prompt_eval_duration?: number;
  eval_count?: number;
  eval_duration?: number;
}

/** One chunk of `/api/generate`. */
export interface OllamaGenerateResponseJson extends OllamaMetricsJson {
  model: string;
  created_at?: string;
  response: string;
  thinking?: string;
  done: boolean;
  done_reason?: string;
  context?: number[];
  modelwire_cache?: OllamaCacheHitJson;
}

/**
 * modelwire's own field on the final chunk of a reply its gateway served from the response cache (Ollama has no
 * such field; its clients ignore unknown fields). `original` holds the metrics of the stored reply.
 */
export interface OllamaCacheHitJson {
  hit: true;
  stored_at?: string;
  original?: OllamaMetricsJson;
}

/** A tool call inside a chat message. */
export interface OllamaToolCallJson {
  function: { index: number; name: string; arguments: JsonObject };
}

/** A chat message. */
export interface OllamaMessageJson {
  role: string;
  content: string;
  thinking?: string;
  images?: string[];
  tool_calls?: OllamaToolCallJson[];
  tool_name?: string;
}

/** A tool definition of a chat request. */
export interface OllamaToolJson {
  type: string;
  function: { name: string; description?: string; parameters?: JsonObject };
}

/** The body of `POST /api/chat`. */
export interface OllamaChatRequestJson {
  model: string;
  messages?: OllamaMessageJson[];
  stream?: boolean;
  format?: JsonValue;
  keep_alive?: string | number;
  tools?: OllamaToolJson[];
  options?: OllamaOptionsJson;
  think?: OllamaThinkJson;
}

/** One chunk of `/api/chat`. */
export interface OllamaChatResponseJson extends OllamaMetricsJson {
  model: string;
  created_at?: string;
  message: OllamaMessageJson;
  done: boolean;
  done_reason?: string;
  modelwire_cache?: OllamaCacheHitJson;
}

/** The body of `POST /api/embed`. */
export interface OllamaEmbedRequestJson {
  model: string;
  input: string | string[];
  truncate?: boolean;
  keep_alive?: string | number;
  options?: OllamaOptionsJson;
  dimensions?: number;
}

/** The reply of `POST /api/embed`. */
export interface OllamaEmbedResponseJson {
  model: string;
  embeddings: number[][];
  total_duration?: number;
  load_duration?: number;
  prompt_eval_count?: number;
}

/** The body of the legacy `POST /api/embeddings`. */
export interface OllamaEmbeddingsRequestJson {
  model: string;
  prompt: string;
  keep_alive?: string | number;
  options?: OllamaOptionsJson;
}

/** The reply of the legacy `POST /api/embeddings`. */
export interface OllamaEmbeddingsResponseJson {
  embedding: number[];
}

/** A model's `details`. */
export interface OllamaModelDetailsJson {
  parent_model: string;
  format: string;
  family: string;
  families: string[];
  parameter_size: string;
  quantization_level: string;
}

/** One entry of `GET /api/tags`. */
export interface OllamaListModelJson {
  name: string;
  model: string;
  modified_at?: string;
  size: number;
  digest: string;
  details?: OllamaModelDetailsJson;
}

/** One entry of `GET /api/ps`. */
export interface OllamaProcessModelJson {
  name: string;
  model: string;
  size: number;
  digest: string;
  details?: OllamaModelDetailsJson;
  expires_at?: string;
  size_vram: number;
  context_length?: number;
}

/** The reply of `GET /api/tags`. */
export interface OllamaListResponseJson {
  models: OllamaListModelJson[];
}

/** The reply of `GET /api/ps`. */
export interface OllamaPsResponseJson {
  models: OllamaProcessModelJson[];
}

/** The body of `POST /api/show` (`name` is the legacy spelling of `model`). */
export interface OllamaShowRequestJson {
  model: string;
  name?: string;
  verbose?: boolean;
}

/** The reply of `POST /api/show`. */
export interface OllamaShowResponseJson {
  license?: string;
  modelfile?: string;
  parameters?: string;
  template?: string;
  system?: string;
  details?: OllamaModelDetailsJson;
  model_info?: JsonObject;
  capabilities?: string[];
  modified_at?: string;
}

/** The reply of `GET /api/version`. */
export interface OllamaVersionResponseJson {
  version: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Shared pieces

function body(obj: unknown): JsonRecord {
  if (!isRecord(obj)) {
    throw invalidArgument("", `request body must be a JSON object, got ${jsonTypeName(obj)}`);
  }
  return obj;
}

function reply(obj: unknown, what: string): JsonRecord {
  if (!isRecord(obj)) throw invalidArgument("", `${what} must be a JSON object, got ${jsonTypeName(obj)}`);
  return obj;
}

/** Reads `format`: "json" or a JSON schema object, kept as its JSON text ("" when absent). */
function formatFromJson(v: unknown): string {
  if (v === undefined || v === null || v === "") return "";
  if (v === "json" || isRecord(v)) return JSON.stringify(v);
  throw invalidArgument("format", `invalid format: expected "json" or a valid JSON schema, got ${jsonTypeName(v)}`);
}

function formatToJson(text: string): JsonValue | undefined {
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as JsonValue;
  } catch (e) {
    throw invalidArgument("format", `format is not valid JSON text: ${(e as Error).message}`);
  }
}

const THINK_LEVELS = new Set(["high", "medium", "low", "max"]);

function thinkFromJson(v: unknown): Think | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "boolean") return create(ThinkSchema, { value: { case: "enabled", value: v } });
  if (v === "true" || v === "false") return create(ThinkSchema, { value: { case: "enabled", value: v === "true" } });
  if (typeof v === "string" && THINK_LEVELS.has(v)) return create(ThinkSchema, { value: { case: "level", value: v } });
  throw invalidArgument(
    "think",
    `think must be a boolean or a string ("high", "medium", "low", "max"), got ${JSON.stringify(v)}`,
  );
}

function thinkToJson(t: Think | undefined): OllamaThinkJson | undefined {
  if (!t || t.value.case === undefined) return undefined;
  return t.value.value;
}

function keepAlive(o: JsonRecord) {
  const v = o.keep_alive;
  return v === undefined || v === null ? undefined : keepAliveFromJson(v, "keep_alive");
}

function int32Item(v: unknown, field: string): number {
  return checkInteger(v, field, INT32[0], INT32[1]);
}

function timestamp(o: JsonRecord, key: string, parent = "") {
  const v = o[key];
  return v === undefined || v === null ? undefined : parseRfc3339(v, path(parent, key));
}

function jsonObject(o: JsonRecord, key: string, parent: string): JsonObject | undefined {
  return readOptionalRecord(o, key, parent) as JsonObject | undefined;
}

const METRIC_KEYS = [
  "total_duration",
  "load_duration",
  "prompt_eval_count",
  "prompt_eval_duration",
  "eval_count",
  "eval_duration",
] as const;

/** Metrics are present on a chunk when any of the six keys is. */
function metricsFromJson(o: JsonRecord): Metrics | undefined {
  if (!METRIC_KEYS.some((k) => o[k] !== undefined && o[k] !== null)) return undefined;
  return create(MetricsSchema, {
    totalDuration: readInt64(o, "total_duration"),
    loadDuration: readInt64(o, "load_duration"),
    promptEvalCount: readInt32(o, "prompt_eval_count"),
    promptEvalDuration: readInt64(o, "prompt_eval_duration"),
    evalCount: readInt32(o, "eval_count"),
    evalDuration: readInt64(o, "eval_duration"),
  });
}

function metricsToJson(m: Metrics | undefined, out: OllamaMetricsJson): void {
  if (!m) return;
  out.total_duration = Number(m.totalDuration);
  out.load_duration = Number(m.loadDuration);
  out.prompt_eval_count = m.promptEvalCount;
  out.prompt_eval_duration = Number(m.promptEvalDuration);
  out.eval_count = m.evalCount;
  out.eval_duration = Number(m.evalDuration);
}

function cacheHitToJson(h: CacheHit | undefined): OllamaCacheHitJson | undefined {
  if (!h) return undefined;
  const out: OllamaCacheHitJson = { hit: true };
  if (h.storedAt) out.stored_at = formatRfc3339(h.storedAt);
  if (h.originalMetrics) {
    out.original = {};
    metricsToJson(h.originalMetrics, out.original);
  }
  return out;
}

function cacheHitFromJson(o: JsonRecord): CacheHit | undefined {
  const c = readOptionalRecord(o, "modelwire_cache");
  if (!c) return undefined;
  const original = readOptionalRecord(c, "original", "modelwire_cache");
  return create(CacheHitSchema, {
    storedAt: timestamp(c, "stored_at", "modelwire_cache"),
    originalMetrics: original ? metricsFromJson(original) : undefined,
  });
}

// ---------------------------------------------------------------------------------------------------------------
// generate

/** Reads a `POST /api/generate` body. */
export function generateRequestFromJson(obj: unknown): GenerateRequest {
  const o = body(obj);
  return create(GenerateRequestSchema, {
    model: readString(o, "model"),
    prompt: readString(o, "prompt"),
    suffix: readString(o, "suffix"),
    system: readString(o, "system"),
    template: readString(o, "template"),
    context: readArray(o, "context", "", int32Item),
    stream: readOptionalBool(o, "stream"),
    raw: readBool(o, "raw"),
    format: formatFromJson(o.format),
    keepAlive: keepAlive(o),
    images: readArray(o, "images", "", decodeBase64),
    options: optionsFromJson(o.options),
    think: thinkFromJson(o.think),
  });
}

/** Writes a generate request as Ollama's JSON body (only fields that are set). */
export function generateRequestToJson(msg: GenerateRequest): OllamaGenerateRequestJson {
  const out: OllamaGenerateRequestJson = { model: msg.model };
  if (msg.prompt) out.prompt = msg.prompt;
  if (msg.suffix) out.suffix = msg.suffix;
  if (msg.system) out.system = msg.system;
  if (msg.template) out.template = msg.template;
  if (msg.context.length > 0) out.context = [...msg.context];
  if (msg.stream !== undefined) out.stream = msg.stream;
  if (msg.raw) out.raw = true;
  const format = formatToJson(msg.format);
  if (format !== undefined) out.format = format;
  if (msg.keepAlive) out.keep_alive = keepAliveToJson(msg.keepAlive);
  if (msg.images.length > 0) out.images = msg.images.map(encodeBase64);
  if (msg.options) out.options = optionsToJson(msg.options);
  const think = thinkToJson(msg.think);
  if (think !== undefined) out.think = think;
  return out;
}

/** Writes one generate chunk as Ollama does (`response` and `done` always; metrics flattened when set). */
export function generateResponseToJson(msg: GenerateResponse): OllamaGenerateResponseJson {
  const out: OllamaGenerateResponseJson = { model: msg.model, response: msg.response, done: msg.done };
  if (msg.createdAt) out.created_at = formatRfc3339(msg.createdAt);
  if (msg.thinking) out.thinking = msg.thinking;
  if (msg.doneReason) out.done_reason = msg.doneReason;
  if (msg.context.length > 0) out.context = [...msg.context];
  metricsToJson(msg.metrics, out);
  const cache = cacheHitToJson(msg.cacheHit);
  if (cache) out.modelwire_cache = cache;
  return out;
}

/** Reads one generate chunk of Ollama's reply. */
export function generateResponseFromJson(obj: unknown): GenerateResponse {
  const o = reply(obj, "generate response");
  return create(GenerateResponseSchema, {
    model: readString(o, "model"),
    createdAt: timestamp(o, "created_at"),
    response: readString(o, "response"),
    thinking: readString(o, "thinking"),
    done: readBool(o, "done"),
    doneReason: readString(o, "done_reason"),
    context: readArray(o, "context", "", int32Item),
    metrics: metricsFromJson(o),
    cacheHit: cacheHitFromJson(o),
  });
}

// ---------------------------------------------------------------------------------------------------------------
// chat

function toolCallFromJson(v: unknown, field: string) {
  const o = asRecord(v, field);
  const f = readOptionalRecord(o, "function", field) ?? {};
  const fp = path(field, "function");
  return {
    function: {
      index: readInt32(f, "index", fp),
      name: readString(f, "name", fp),
      arguments: jsonObject(f, "arguments", fp) ?? {},
    },
  };
}

function messageFromJson(v: unknown, field: string) {
  const o = asRecord(v, field);
  return {
    role: readString(o, "role", field),
    content: readString(o, "content", field),
    thinking: readString(o, "thinking", field),
    images: readArray(o, "images", field, decodeBase64),
    toolCalls: readArray(o, "tool_calls", field, toolCallFromJson),
    toolName: readString(o, "tool_name", field),
  };
}

function toolCallToJson(c: ToolCall): OllamaToolCallJson {
  return {
    function: { index: c.function?.index ?? 0, name: c.function?.name ?? "", arguments: c.function?.arguments ?? {} },
  };
}

function messageToJson(m: Message): OllamaMessageJson {
  const out: OllamaMessageJson = { role: m.role, content: m.content };
  if (m.thinking) out.thinking = m.thinking;
  if (m.images.length > 0) out.images = m.images.map(encodeBase64);
  if (m.toolCalls.length > 0) out.tool_calls = m.toolCalls.map(toolCallToJson);
  if (m.toolName) out.tool_name = m.toolName;
  return out;
}

function toolFromJson(v: unknown, field: string) {
  const o = asRecord(v, field);
  const f = readOptionalRecord(o, "function", field) ?? {};
  const fp = path(field, "function");
  return {
    type: readString(o, "type", field),
    function: {
      name: readString(f, "name", fp),
      description: readString(f, "description", fp),
      parameters: jsonObject(f, "parameters", fp),
    },
  };
}

function toolToJson(t: Tool): OllamaToolJson {
  const fn: OllamaToolJson["function"] = { name: t.function?.name ?? "" };
  if (t.function?.description) fn.description = t.function.description;
  if (t.function?.parameters) fn.parameters = t.function.parameters;
  return { type: t.type, function: fn };
}

/** Reads a `POST /api/chat` body. */
export function chatRequestFromJson(obj: unknown): ChatRequest {
  const o = body(obj);
  return create(ChatRequestSchema, {
    model: readString(o, "model"),
    messages: readArray(o, "messages", "", messageFromJson),
    stream: readOptionalBool(o, "stream"),
    format: formatFromJson(o.format),
    keepAlive: keepAlive(o),
    tools: readArray(o, "tools", "", toolFromJson),
    options: optionsFromJson(o.options),
    think: thinkFromJson(o.think),
  });
}

/** Writes a chat request as Ollama's JSON body. */
export function chatRequestToJson(msg: ChatRequest): OllamaChatRequestJson {
  const out: OllamaChatRequestJson = { model: msg.model, messages: msg.messages.map(messageToJson) };
  if (msg.stream !== undefined) out.stream = msg.stream;
  const format = formatToJson(msg.format);
  if (format !== undefined) out.format = format;
  if (msg.keepAlive) out.keep_alive = keepAliveToJson(msg.keepAlive);
  if (msg.tools.length > 0) out.tools = msg.tools.map(toolToJson);
  if (msg.options) out.options = optionsToJson(msg.options);
  const think = thinkToJson(msg.think);
  if (think !== undefined) out.think = think;
  return out;
}

/** Writes one chat chunk as Ollama does. A chunk without a message gets an empty assistant message. */
export function chatResponseToJson(msg: ChatResponse): OllamaChatResponseJson {
  const out: OllamaChatResponseJson = {
    model: msg.model,
    message: msg.message ? messageToJson(msg.message) : { role: "assistant", content: "" },
    done: msg.done,
  };
  if (msg.createdAt) out.created_at = formatRfc3339(msg.createdAt);
  if (msg.doneReason) out.done_reason = msg.doneReason;
  metricsToJson(msg.metrics, out);
  const cache = cacheHitToJson(msg.cacheHit);
  if (cache) out.modelwire_cache = cache;
  return out;
}

/** Reads one chat chunk of Ollama's reply. */
export function chatResponseFromJson(obj: unknown): ChatResponse {
  const o = reply(obj, "chat response");
  const m = o.message;
  return create(ChatResponseSchema, {
    model: readString(o, "model"),
    createdAt: timestamp(o, "created_at"),
    message: m === undefined || m === null ? undefined : messageFromJson(m, "message"),
    done: readBool(o, "done"),
    doneReason: readString(o, "done_reason"),
    metrics: metricsFromJson(o),
    cacheHit: cacheHitFromJson(o),
  });
}

// ---------------------------------------------------------------------------------------------------------------
// embed

/** Reads a `POST /api/embed` body; `input` may be one string or an array of strings. */
export function embedRequestFromJson(obj: unknown): EmbedRequest {
  const o = body(obj);
  let input: string[];
  // An empty string is no input at all (Ollama then only loads the model).
  if (typeof o.input === "string") input = o.input === "" ? [] : [o.input];
  else input = readArray(o, "input", "", stringItem);
  const dimensions = readInt32(o, "dimensions");
  return create(EmbedRequestSchema, {
    model: readString(o, "model"),
    input,
    truncate: readOptionalBool(o, "truncate"),
    keepAlive: keepAlive(o),
    options: optionsFromJson(o.options),
    dimensions,
  });
}

/** Writes an embed request as Ollama's JSON body (`input` always an array). */
export function embedRequestToJson(msg: EmbedRequest): OllamaEmbedRequestJson {
  const out: OllamaEmbedRequestJson = { model: msg.model, input: [...msg.input] };
  if (msg.truncate !== undefined) out.truncate = msg.truncate;
  if (msg.keepAlive) out.keep_alive = keepAliveToJson(msg.keepAlive);
  if (msg.options) out.options = optionsToJson(msg.options);
  if (msg.dimensions !== 0) out.dimensions = msg.dimensions;
  return out;
}

/** Writes an embed reply as Ollama does (its durations and count are `omitempty`: absent when zero). */
export function embedResponseToJson(msg: EmbedResponse): OllamaEmbedResponseJson {
  const out: OllamaEmbedResponseJson = { model: msg.model, embeddings: msg.embeddings.map((e) => [...e.values]) };
  if (msg.totalDuration !== 0n) out.total_duration = Number(msg.totalDuration);
  if (msg.loadDuration !== 0n) out.load_duration = Number(msg.loadDuration);
  if (msg.promptEvalCount !== 0) out.prompt_eval_count = msg.promptEvalCount;
  return out;
}

function vector(v: unknown, field: string): { values: number[] } {
  if (!Array.isArray(v)) throw invalidArgument(field, `${field} must be an array of numbers, got ${jsonTypeName(v)}`);
  const values = v.map((x, i) => {
    if (typeof x !== "number") throw invalidArgument(path(field, i), `${path(field, i)} must be a number`);
    return Math.fround(x);
  });
  return { values };
}

/** Reads Ollama's embed reply. */
export function embedResponseFromJson(obj: unknown): EmbedResponse {
  const o = reply(obj, "embed response");
  return create(EmbedResponseSchema, {
    model: readString(o, "model"),
    embeddings: readArray(o, "embeddings", "", vector),
    totalDuration: readInt64(o, "total_duration"),
    loadDuration: readInt64(o, "load_duration"),
    promptEvalCount: readInt32(o, "prompt_eval_count"),
  });
}

/** Reads a legacy `POST /api/embeddings` body (`prompt`, one text) as an embed request of one input. */
export function embeddingsRequestFromJson(obj: unknown): EmbedRequest {
  const o = body(obj);
  const prompt = readString(o, "prompt");
  return create(EmbedRequestSchema, {
    model: readString(o, "model"),
    input: prompt === "" ? [] : [prompt],
    keepAlive: keepAlive(o),
    options: optionsFromJson(o.options),
  });
}

/** Writes an embed reply as the legacy `/api/embeddings` reply (the first vector, or `[]`). */
export function embeddingsResponseToJson(msg: EmbedResponse): OllamaEmbeddingsResponseJson {
  return { embedding: msg.embeddings.length > 0 ? [...msg.embeddings[0].values] : [] };
}

// ---------------------------------------------------------------------------------------------------------------
// tags, ps, show, version

function detailsToJson(d: ModelDetails): OllamaModelDetailsJson {
  return {
    parent_model: d.parentModel,
    format: d.format,
    family: d.family,
    families: [...d.families],
    parameter_size: d.parameterSize,
    quantization_level: d.quantizationLevel,
  };
}

function detailsFromJson(o: JsonRecord, key: string, parent: string): ModelDetails | undefined {
  const d = readOptionalRecord(o, key, parent);
  if (!d) return undefined;
  const p = path(parent, key);
  return create(ModelDetailsSchema, {
    parentModel: readString(d, "parent_model", p),
    format: readString(d, "format", p),
    family: readString(d, "family", p),
    families: readArray(d, "families", p, stringItem),
    parameterSize: readString(d, "parameter_size", p),
    quantizationLevel: readString(d, "quantization_level", p),
  });
}

function modelInfoFromJson(v: unknown, field: string): ModelInfo {
  const o = asRecord(v, field);
  return create(ModelInfoSchema, {
    name: readString(o, "name", field),
    model: readString(o, "model", field),
    modifiedAt: timestamp(o, "modified_at", field),
    size: readInt64(o, "size", field),
    digest: readString(o, "digest", field),
    details: detailsFromJson(o, "details", field),
    expiresAt: timestamp(o, "expires_at", field),
    sizeVram: readInt64(o, "size_vram", field),
    contextLength: readInt32(o, "context_length", field),
  });
}

/** Writes `GET /api/tags`'s reply. */
export function listResponseToJson(msg: ListModelsResponse): OllamaListResponseJson {
  return {
    models: msg.models.map((m) => {
      const out: OllamaListModelJson = { name: m.name, model: m.model, size: Number(m.size), digest: m.digest };
      if (m.modifiedAt) out.modified_at = formatRfc3339(m.modifiedAt);
      if (m.details) out.details = detailsToJson(m.details);
      return out;
    }),
  };
}

/** Reads `GET /api/tags`'s reply. */
export function listResponseFromJson(obj: unknown): ListModelsResponse {
  const o = reply(obj, "tags response");
  return create(ListModelsResponseSchema, { models: readArray(o, "models", "", modelInfoFromJson) });
}

/** Writes `GET /api/ps`'s reply. */
export function psResponseToJson(msg: ListRunningResponse): OllamaPsResponseJson {
  return {
    models: msg.models.map((m) => {
      const out: OllamaProcessModelJson = {
        name: m.name,
        model: m.model,
        size: Number(m.size),
        digest: m.digest,
        size_vram: Number(m.sizeVram),
      };
      if (m.details) out.details = detailsToJson(m.details);
      if (m.expiresAt) out.expires_at = formatRfc3339(m.expiresAt);
      out.context_length = m.contextLength;
      return out;
    }),
  };
}

/** Reads `GET /api/ps`'s reply. */
export function psResponseFromJson(obj: unknown): ListRunningResponse {
  const o = reply(obj, "ps response");
  return create(ListRunningResponseSchema, { models: readArray(o, "models", "", modelInfoFromJson) });
}

/** Reads a `POST /api/show` body (`model`, or the legacy `name`). */
export function showRequestFromJson(obj: unknown): ShowModelRequest {
  const o = body(obj);
  const model = readString(o, "model") || readString(o, "name");
  return create(ShowModelRequestSchema, { model, verbose: readBool(o, "verbose") });
}

/** Writes a show request as Ollama's JSON body. */
export function showRequestToJson(msg: ShowModelRequest): OllamaShowRequestJson {
  const out: OllamaShowRequestJson = { model: msg.model };
  if (msg.verbose) out.verbose = true;
  return out;
}

/** Writes `POST /api/show`'s reply (empty fields omitted, as Ollama's `omitempty` does). */
export function showResponseToJson(msg: ShowModelResponse): OllamaShowResponseJson {
  const out: OllamaShowResponseJson = {};
  if (msg.license) out.license = msg.license;
  if (msg.modelfile) out.modelfile = msg.modelfile;
  if (msg.parameters) out.parameters = msg.parameters;
  if (msg.template) out.template = msg.template;
  if (msg.system) out.system = msg.system;
  if (msg.details) out.details = detailsToJson(msg.details);
  if (msg.modelInfo) out.model_info = msg.modelInfo;
  if (msg.capabilities.length > 0) out.capabilities = [...msg.capabilities];
  if (msg.modifiedAt) out.modified_at = formatRfc3339(msg.modifiedAt);
  return out;
}

/** Reads `POST /api/show`'s reply (fields the contract lacks, such as `tensors`, are ignored). */
export function showResponseFromJson(obj: unknown): ShowModelResponse {
  const o = reply(obj, "show response");
  return create(ShowModelResponseSchema, {
    license: readString(o, "license"),
    modelfile: readString(o, "modelfile"),
    parameters: readString(o, "parameters"),
    template: readString(o, "template"),
    system: readString(o, "system"),
    details: detailsFromJson(o, "details", ""),
    modelInfo: jsonObject(o, "model_info", ""),
    capabilities: readArray(o, "capabilities", "", stringItem),
    modifiedAt: timestamp(o, "modified_at"),
  });
}

/** Writes `GET /api/version`'s reply. */
export function versionResponseToJson(msg: VersionResponse): OllamaVersionResponseJson {
  return { version: msg.version };
}

/** Reads `GET /api/version`'s reply. */
export function versionResponseFromJson(obj: unknown): VersionResponse {
  const o = reply(obj, "version response");
  return create(VersionResponseSchema, { version: readString(o, "version") });
}
