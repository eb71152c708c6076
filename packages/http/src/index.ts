/**
 * @modelwire/http: the baseline transport. Ollama's own JSON wire shapes mapped to the shared contract, an
 * Ollama-compatible server over any Engine, a pooled undici client implementing InferenceClient, and the
 * streaming NDJSON parser both use.
 *
 * @packageDocumentation
 */
export * from "./ollama-json.js";
export { optionsFromJson, optionsToJson, OLLAMA_OPTION_KEYS } from "./ollama-options.js";
export {
  parseGoDuration,
  formatGoDuration,
  keepAliveFromJson,
  keepAliveToJson,
  durationFromNs,
  durationToNs,
} from "./go-duration.js";
export { formatRfc3339, parseRfc3339 } from "./rfc3339.js";
export {
  createNdjsonDecoder,
  parseNdjson,
  readOllamaStream,
  DEFAULT_MAX_LINE_BYTES,
  type NdjsonDecoder,
  type NdjsonOptions,
} from "./ndjson.js";
export { errorToJson, errorFromJson, errorHttpStatus, type OllamaErrorJson } from "./ollama-error.js";
export {
  createOllamaServer,
  TIMEOUT_HEADER,
  type OllamaServer,
  type OllamaServerOptions,
  type OllamaServerStats,
} from "./ollama-server.js";
export { createOllamaClient, type OllamaClient, type OllamaClientOptions } from "./ollama-client.js";
export { resolveOllamaHost, DEFAULT_OLLAMA_HOST, type OllamaHost } from "./ollama-host.js";
