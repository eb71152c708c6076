/**
 * `@modelwire/test-kit/ollama`: a stand-in Ollama written from Ollama's `docs/api.md` (never from modelwire's
 * server), with delays, several tokens per chunk, a slot limit and truthful durations; in-process or as its own
 * process.
 *
 * @module
 */

export { parseStandInArgs } from "./main.js";
export { chunkTokens, conversationText, isReproducible, promptTokenCount, replyTokens } from "./reply.js";
export { type SpawnedStandIn, spawnOllamaStandIn, standInArgs } from "./spawn.js";
export {
  type OllamaStandIn,
  type OllamaStandInOptions,
  type OllamaStandInStats,
  startOllamaStandIn,
} from "./standin.js";
