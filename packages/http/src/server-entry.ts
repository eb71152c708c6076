/**
 * `@modelwire/http/server`: the Ollama-compatible server alone. A gateway that only serves HTTP imports this entry
 * and never loads the undici client (about 6 MB of RSS) that the package's main entry brings.
 *
 * @packageDocumentation
 */

export { keepAliveFromJson, keepAliveToJson } from "./go-duration.js";
export { errorFromJson, errorHttpStatus, errorToJson, type OllamaErrorJson } from "./ollama-error.js";
export {
  createOllamaServer,
  type OllamaServer,
  type OllamaServerOptions,
  type OllamaServerStats,
  TIMEOUT_HEADER,
} from "./ollama-server.js";
export type { OpenAIForwarder } from "./openai/routes.js";
