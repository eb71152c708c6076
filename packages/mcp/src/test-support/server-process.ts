/**
 * A standalone MCP server for tests that kill it: `node --import tsx server-process.ts <unix-socket-path>`.
 * Prints "ready" once listening.
 */
import { createSyntheticEngine } from "@modelwire/engine";
import { createMcpServer } from "../index.js";

const path = process.argv[2];
if (!path) throw new Error("usage: server-process.ts <socket path>");
const engine = createSyntheticEngine({ interTokenMs: 20, tokens: 10_000 });
const server = createMcpServer({ engine, unix: { path }, heartbeatMs: 500 });
await server.listen();
process.stdout.write("ready\n");
