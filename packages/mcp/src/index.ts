/**
 * @modelwire/mcp: client and server for MCP, the Model Communication Protocol (modelwire's binary, length-framed,
 * multiplexed protocol; not the JSON-RPC Model Context Protocol) over TCP, Unix domain sockets and TLS. The wire
 * format is specified in `docs/mcp-wire.md`; frames are encoded by `@modelwire/mcp-codec`.
 *
 * @packageDocumentation
 */

export {
  decodeChatContentChunk,
  decodeChatFinalChunk,
  encodeChatContentFrame,
  encodeChatFinalFrame,
} from "./chat-chunk.js";
export { createMcpClient, type McpClientOptions, type ReconnectOptions } from "./client.js";
export { type Endpoint, formatEndpoint, parseEndpoint, transportName } from "./endpoint.js";
export {
  decodeContentChunk,
  decodeFinalChunk,
  encodeContentChunkFrame,
  encodeFinalChunkFrame,
} from "./generate-chunk.js";
export {
  decodeInferenceRequest,
  encodeInferenceRequest,
  type InferenceRequestView,
} from "./inference-request.js";
export {
  encodeGenerateOpenFrame,
  encodeRequestOpenFrame,
  encodeRequestOpenFrameParts,
  LARGE_INPUT_BYTES,
} from "./request-frame.js";
export { type DecodedRequest, decodeRequest, METHOD_NAMES } from "./rpc.js";
export { createMcpServer, type McpServerOptions, type McpTlsListenOptions } from "./server.js";
