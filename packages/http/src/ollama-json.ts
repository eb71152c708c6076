/**
 * Ollama's JSON wire shapes (api/types.go in ollama/ollama) to and from the contract's Protobuf messages. The
 * server reads requests and writes responses with these; the client does the reverse. Field names are exactly
 * Ollama's (snake_case); a value of the wrong type throws a {@link ModelwireError} with `Code.InvalidArgument` whose
 * `metadata.field` names the key (`"options.temperature"`, `"messages[2].images[0]"`); unknown keys are ignored.
 *
 * One module per concept: the wire types (`ollama-json-types.ts`), what the mappings share
 * (`ollama-json-common.ts`), and one per API family (generate, chat, embed, models).
 */

export * from "./ollama-json-chat.js";
export * from "./ollama-json-embed.js";
export * from "./ollama-json-generate.js";
export * from "./ollama-json-models.js";
export * from "./ollama-json-types.js";
