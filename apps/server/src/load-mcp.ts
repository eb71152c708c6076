/** The MCP (Model Communication Protocol) server, imported only when an MCP listener is on. */
export { createMcpServer } from "@modelwire/mcp";
