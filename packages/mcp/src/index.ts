/**
 * @modelwire/mcp: client and server for MCP, the Model Communication Protocol (modelwire's binary, length-framed,
 * multiplexed protocol; not the JSON-RPC Model Context Protocol) over TCP, Unix domain sockets and TLS. The wire
 * format is specified in `docs/mcp-wire.md`; frames are encoded by `@modelwire/mcp-codec` (the hot-path message
 * codecs the client and server run on live in its internal subpath, `@modelwire/mcp-codec/internal`).
 *
 * @packageDocumentation
 */

export { createMcpClient, type McpClientOptions, type ReconnectOptions } from "./client.js";
export { type Endpoint, formatEndpoint, parseEndpoint, transportName } from "./endpoint.js";
export { createMcpServer, type McpServerOptions, type McpTlsListenOptions } from "./server.js";
