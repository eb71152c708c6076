/**
 * `@modelwire/mcp-codec/internal`: the pure hot-path codecs of MCP (the Model Communication Protocol) that the
 * `@modelwire/mcp` client and server run on — the OPEN frame encoder, the OPEN body and GenerateRequest decoders,
 * the hand-written GenerateRequest encoder and the GenerateResponse / ChatResponse chunk codecs, each byte-identical
 * to protobuf-es — and the slab allocator they cut frames from. No I/O and no `node:` imports.
 *
 * @internal Not a public API: exported for `@modelwire/mcp`, the repository's benchmarks and tests. Names and
 * signatures change without notice (no semver promise); applications use `@modelwire/mcp`.
 *
 * @packageDocumentation
 */
export {
  CHAT_LAYOUT,
  decodeChatContentChunk,
  decodeChatFinalChunk,
  encodeChatBatchEntry,
  encodeChatCompactFrame,
  encodeChatContentFrame,
  encodeChatFinalFrame,
} from "./chat-chunk.js";
export { type DecodedRequest, decodeRequest, METHOD_NAMES } from "./decode-request.js";
export {
  decodeContentChunk,
  decodeFinalChunk,
  encodeCompactContentFrame,
  encodeContentBatchEntry,
  encodeContentChunkFrame,
  encodeFinalChunkFrame,
  GENERATE_LAYOUT,
} from "./generate-chunk.js";
export {
  encodeGenerateRequest,
  type GenerateRequestPlan,
  planGenerateRequest,
  writeGenerateRequest,
} from "./generate-request.js";
export { decodeGenerateRequest, tryDecodeGenerateRequest } from "./generate-request-decode.js";
export { decodeInferenceRequest, type InferenceRequestView } from "./inference-request-decode.js";
export {
  encodeGenerateOpenFrame,
  encodeGenerateOpenFrameSlow,
  encodeInferenceRequest,
  encodeRequestOpenFrame,
  encodeRequestOpenFrameParts,
  LARGE_INPUT_BYTES,
} from "./open-frame.js";
export { allocFrame, SLAB_MAX_ALLOC } from "./slab.js";
