/**
 * Ollama's JSON wire types (api/types.go in ollama/ollama): what goes over HTTP, keys exactly Ollama's. Optional keys are
 * omitted when Ollama omits them.
 */

import type { JsonObject, JsonValue } from "@bufbuild/protobuf";

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

/** The keys every streamed chunk has (`/api/generate` and `/api/chat`). */
export interface OllamaChunkJson extends OllamaMetricsJson {
  model: string;
  created_at?: string;
  done: boolean;
  done_reason?: string;
  modelwire_cache?: OllamaCacheHitJson;
}

/** One chunk of `/api/generate`. */
export interface OllamaGenerateResponseJson extends OllamaChunkJson {
  response: string;
  thinking?: string;
  context?: number[];
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
export interface OllamaChatResponseJson extends OllamaChunkJson {
  message: OllamaMessageJson;
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
