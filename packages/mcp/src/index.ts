/**
 * @modelwire/mcp: client and server for MCP, the Model Communication Protocol (modelwire's binary, length-framed,
 * multiplexed protocol; not the JSON-RPC Model Context Protocol) over TCP, Unix domain sockets and TLS. The wire
 * format is specified in `docs/mcp-wire.md`; frames are encoded by `@modelwire/mcp-codec`.
 *
 * @packageDocumentation
 */
export { createMcpServer, type McpServerOptions, type McpTlsListenOptions } from "./server.js";
export { createMcpClient, type McpClientOptions, type ReconnectOptions } from "./client.js";
export { parseEndpoint, formatEndpoint, transportName, type Endpoint } from "./endpoint.js";
export { METHOD_NAMES, decodeRequest, type DecodedRequest } from "./rpc.js";
