/**
 * `@modelwire/http/openai`: the OpenAI API's side of modelwire. The client ({@link createOpenAIClient}, an
 * `InferenceClient` over any OpenAI-compatible server) and the pure mapping both sides use. The server routes are
 * part of `@modelwire/http/server`; this entry brings undici and `eventsource-parser`, which the server entry never
 * loads.
 *
 * @packageDocumentation
 */

export { createOpenAIClient, type OpenAIClient, type OpenAIClientOptions } from "./client.js";
export {
  chatRequestToOpenAI,
  completionRequestToOpenAI,
  createChatStreamDecoder,
  createCompletionStreamDecoder,
  embeddingListFromOpenAI,
  embeddingsRequestToOpenAI,
  modelFromOpenAI,
  modelListFromOpenAI,
  type StreamDecoder,
} from "./client-json.js";
export { errorFromOpenAI, openaiErrorBody, openaiErrorStatus } from "./errors.js";
export { countContentEvents, createOpenAIForwarder, type OpenAIForwarderOptions } from "./forward.js";
export {
  type ChatChunkEncoder,
  type CompletionChunkEncoder,
  createChatChunkEncoder,
  createCompletionChunkEncoder,
} from "./reply.js";
export {
  type ChatCompletionCall,
  type CompletionCall,
  chatCompletionRequestFromJson,
  completionRequestFromJson,
  type EmbeddingsCall,
  embeddingsRequestFromJson,
} from "./request.js";
export type { OpenAIForwarder } from "./routes.js";
export { SSE_DONE, SSE_TYPE, sseData, sseEvents } from "./sse.js";
export { DEFAULT_MAX_EVENT_CHARS, readSseData, type SseReadOptions } from "./sse-read.js";
export type * from "./wire.js";
