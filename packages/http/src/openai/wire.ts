/**
 * The OpenAI API's JSON shapes that modelwire reads and writes (the subset Ollama's `/v1` serves): chat
 * completions, legacy completions, embeddings and models. Field names are OpenAI's; optional keys are omitted
 * when absent.
 *
 * @module
 */

/** A tool call as OpenAI carries it: the arguments are a JSON text, not an object. */
export interface OpenAIToolCallJson {
  id: string;
  type: "function";
  /** Position of the call in a streamed delta (chunks only). */
  index?: number;
  function: { name: string; arguments: string };
}

/** One content part of a user message. */
export type OpenAIContentPartJson =
  | { type: "text"; text: string }
  | { type: "image_url"; image_url: string | { url: string; detail?: string } };

/** A chat message of a request. */
export interface OpenAIMessageJson {
  role: string;
  content?: string | OpenAIContentPartJson[] | null;
  name?: string;
  tool_call_id?: string;
  tool_calls?: OpenAIToolCallJson[];
  /** Ollama's extension: the model's thinking. */
  reasoning?: string;
}

/** A tool a chat request offers the model. */
export interface OpenAIToolJson {
  type: "function";
  function: { name: string; description?: string; parameters?: { [key: string]: unknown } };
}

/** `response_format` of a chat request. */
export type OpenAIResponseFormatJson =
  | { type: "text" }
  | { type: "json_object" }
  | { type: "json_schema"; json_schema: { name?: string; schema: { [key: string]: unknown }; strict?: boolean } };

/** The sampling fields chat and legacy completions share. */
export interface OpenAISamplingJson {
  model: string;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  seed?: number;
  stop?: string | string[];
  frequency_penalty?: number;
  presence_penalty?: number;
  n?: number;
}

/** The body of `POST /v1/chat/completions`. */
export interface OpenAIChatRequestJson extends OpenAISamplingJson {
  messages: OpenAIMessageJson[];
  max_completion_tokens?: number;
  response_format?: OpenAIResponseFormatJson;
  tools?: OpenAIToolJson[];
  reasoning_effort?: string;
}

/** The body of `POST /v1/completions`. */
export interface OpenAICompletionRequestJson extends OpenAISamplingJson {
  prompt: string;
  suffix?: string;
}

/** The body of `POST /v1/embeddings`. */
export interface OpenAIEmbeddingsRequestJson {
  model: string;
  input: string | string[];
  dimensions?: number;
  encoding_format?: "float" | "base64";
}

/** Token counts of a reply. */
export interface OpenAIUsageJson {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** The assistant message of a non-streamed chat reply. */
export interface OpenAIReplyMessageJson {
  role: string;
  content: string;
  reasoning?: string;
  tool_calls?: OpenAIToolCallJson[];
}

/** The reply of a non-streamed chat completion. */
export interface OpenAIChatCompletionJson {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  system_fingerprint: string;
  choices: Array<{ index: number; message: OpenAIReplyMessageJson; finish_reason: string | null }>;
  usage: OpenAIUsageJson;
}

/** The delta of a streamed chat chunk (every key optional: a finish chunk has `{}`). */
export interface OpenAIDeltaJson {
  role?: string;
  content?: string;
  reasoning?: string;
  tool_calls?: OpenAIToolCallJson[];
}

/** One streamed chat chunk. */
export interface OpenAIChatChunkJson {
  id: string;
  object: "chat.completion.chunk";
  created: number;
  model: string;
  system_fingerprint: string;
  choices: Array<{ index: number; delta: OpenAIDeltaJson; finish_reason: string | null }>;
  usage?: OpenAIUsageJson;
}

/** A legacy completion reply or streamed chunk (the same object, `object: "text_completion"`). */
export interface OpenAICompletionJson {
  id: string;
  object: "text_completion";
  created: number;
  model: string;
  system_fingerprint: string;
  choices: Array<{ index: number; text: string; finish_reason: string | null }>;
  usage?: OpenAIUsageJson;
}

/** One entry of `GET /v1/models`, and the reply of `GET /v1/models/{model}`. */
export interface OpenAIModelJson {
  id: string;
  object: "model";
  created: number;
  owned_by: string;
}

/** The reply of `GET /v1/models`. */
export interface OpenAIModelListJson {
  object: "list";
  data: OpenAIModelJson[];
}

/** The reply of `POST /v1/embeddings`. */
export interface OpenAIEmbeddingListJson {
  object: "list";
  data: Array<{ object: "embedding"; embedding: number[] | string; index: number }>;
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

/** OpenAI's error body. */
export interface OpenAIErrorJson {
  error: { message: string; type: string; param: string | null; code: string | null };
}
