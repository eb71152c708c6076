import type { GenerateResponse, InferenceClient, ProtocolServer } from "@modelwire/core";
import { afterEach } from "vitest";
import { createMcpClient, createMcpServer, type McpClientOptions, type McpServerOptions } from "../index.js";
import { connectRaw, type RawPeer } from "./raw-peer.js";

/** A list of clean-up steps (closing servers, clients, sockets). */
export type Cleanups = Array<() => Promise<void> | void>;

/**
 * A list of clean-up steps that runs after each test of the calling file, last added first; steps may be taken off
 * it to run them earlier.
 */
export function cleanupAfterEach(): Cleanups {
  const cleanups: Cleanups = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  return cleanups;
}

/** Server options for a test: an engine is required, the TCP listener defaults to port 0. */
export type TestServerOptions = Partial<McpServerOptions> & { engine: McpServerOptions["engine"] };

/**
 * Starts an MCP server on a free TCP port and a client for it; both close after the test (client first, then the
 * server with `graceMs`).
 */
export async function startClientServer(
  cleanups: Cleanups,
  opts: TestServerOptions,
  clientOpts: Partial<McpClientOptions> = {},
  graceMs = 0,
) {
  const server = createMcpServer({ tcp: { port: 0 }, ...opts });
  const [addr] = await server.listen();
  const client = createMcpClient({ url: addr.url, ...clientOpts });
  cleanups.push(async () => {
    await client.close();
    await server.close({ graceMs });
  });
  return { server, client, url: addr.url };
}

/**
 * Starts an MCP server on a free TCP port and connects a hand-driven {@link RawPeer} to it; the peer's socket is
 * destroyed and the server closed (no grace) after the test.
 */
export async function startRawPeerServer(
  cleanups: Cleanups,
  opts: TestServerOptions,
): Promise<{ server: ProtocolServer; peer: RawPeer }> {
  const server = createMcpServer({ tcp: { port: 0 }, ...opts });
  const [addr] = await server.listen();
  const peer = await connectRaw(Number(new URL(addr.url).port));
  cleanups.push(async () => {
    peer.socket.destroy();
    await server.close({ graceMs: 0 });
  });
  return { server, peer };
}

/** Reads one generate stream of `numPredict` tokens from the synthetic model to its end and returns its chunks. */
export async function generateAll(
  client: InferenceClient,
  prompt: string,
  numPredict: number,
): Promise<GenerateResponse[]> {
  const chunks: GenerateResponse[] = [];
  for await (const c of client.generate({ model: "synthetic", prompt, options: { numPredict } })) chunks.push(c);
  return chunks;
}
