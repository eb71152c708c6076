/**
 * @modelwire/http: the baseline transport. Ollama's own JSON wire shapes mapped to the shared contract, an
 * Ollama-compatible server over any Engine, a pooled undici client implementing InferenceClient, and the
 * streaming NDJSON parser both use.
 *
 * @packageDocumentation
 */

export {
  durationFromNs,
  durationToNs,
  formatGoDuration,
  keepAliveFromJson,
  keepAliveToJson,
  parseGoDuration,
} from "./go-duration.js";
export {
  createNdjsonDecoder,
  DEFAULT_MAX_LINE_BYTES,
  type NdjsonDecoder,
  type NdjsonOptions,
  parseNdjson,
  readOllamaStream,
} from "./ndjson.js";
export { createOllamaClient, type OllamaClient, type OllamaClientOptions } from "./ollama-client.js";
export { DEFAULT_OLLAMA_HOST, type OllamaHost, resolveOllamaHost } from "./ollama-host.js";
export * from "./ollama-json.js";
export { OLLAMA_OPTION_KEYS, optionsFromJson, optionsToJson } from "./ollama-options.js";
export { formatRfc3339, parseRfc3339 } from "./rfc3339.js";
// The server and its error mapping, also published alone as `@modelwire/http/server`.
export * from "./server-entry.js";
