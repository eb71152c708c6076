import {
  type InferenceClient,
  type ProtocolServer,
  parseOriginList,
  type ServerObserver,
  type ServingState,
  type WriteBudget,
} from "@modelwire/core";
import type { Engine } from "@modelwire/engine";
import type { OpenAIForwarder } from "@modelwire/http/server";
import type { ServeConfig } from "./config.js";

/** The protocol families the gateway serves (the keys of `/control/stats` `servers`). */
export type ProtocolName = "http" | "connect" | "mcp";

/** A protocol server with the name and flag it is reported under. */
export interface NamedServer {
  name: ProtocolName;
  /** The flag that configures its port (named in listen errors). */
  flag: string;
  server: ProtocolServer;
}

/** What every protocol server gets from the gateway. */
export interface SharedServerOptions {
  /** The guarded, drain-aware engine. */
  engine: Engine;
  observer: ServerObserver;
  /** PEM certificate and key (Connect/gRPC and MCP TCP). */
  tls?: { cert: Buffer; key: Buffer };
  /** What gRPC health checks report. */
  serving: ServingState;
  /** The one budget on bytes queued for readers behind, shared by every listener (`--max-queued-bytes`). */
  writeBudget: WriteBudget;
  /** Upstream mode: relays the HTTP listener's `/v1/*` to an upstream that serves the OpenAI API. */
  openaiForwarder?: OpenAIForwarder;
}

/**
 * Creates the enabled protocol servers (not yet listening). Each protocol package is imported only when its
 * listener is on, and the imports run in parallel, so a gateway with fewer protocols starts faster and smaller.
 */
export async function createProtocolServers(cfg: ServeConfig, shared: SharedServerOptions): Promise<NamedServer[]> {
  const { engine, observer, tls, serving, openaiForwarder } = shared;
  const authToken = cfg.authToken;
  const origins = cfg.origins === undefined ? undefined : parseOriginList(cfg.origins, "--origins");
  const { maxConnections, maxConnectionsPerClient, writeStallTimeoutMs } = cfg;
  const { writeBudget } = shared;
  const jobs: Promise<NamedServer>[] = [];
  if (cfg.http) {
    jobs.push(
      import("./load-http.js").then(({ createOllamaServer }) => ({
        name: "http",
        flag: "--http-port",
        server: createOllamaServer({
          engine,
          host: cfg.host,
          port: cfg.httpPort,
          authToken,
          observer,
          openaiForwarder,
          origins,
          maxConnections,
          maxConnectionsPerClient,
          writeStallTimeoutMs,
          writeBudget,
        }),
      })),
    );
  }
  if (cfg.connect) {
    jobs.push(
      import("./load-connect.js").then(({ createConnectServer }) => ({
        name: "connect",
        flag: "--connect-port",
        server: createConnectServer({
          engine,
          host: cfg.host,
          port: cfg.connectPort,
          authToken,
          observer,
          tls,
          serving,
          origins,
          maxConnections,
          maxConnectionsPerClient,
          writeStallTimeoutMs,
          writeBudget,
        }),
      })),
    );
  }
  if (cfg.mcp || cfg.mcpSocket !== undefined) {
    jobs.push(
      import("./load-mcp.js").then(({ createMcpServer }) => ({
        name: "mcp",
        flag: cfg.mcp ? "--mcp-port" : "--mcp-socket",
        server: createMcpServer({
          engine,
          authToken,
          observer,
          // With a certificate the MCP TCP listener speaks TLS (tls://); the Unix socket stays plain.
          tcp: cfg.mcp && !tls ? { host: cfg.host, port: cfg.mcpPort } : undefined,
          tls: cfg.mcp && tls ? { host: cfg.host, port: cfg.mcpPort, cert: tls.cert, key: tls.key } : undefined,
          unix: cfg.mcpSocket !== undefined ? { path: cfg.mcpSocket } : undefined,
          // The gateway's shared admission is the limit; MCP's own server-wide cap must not undercut it.
          maxStreams: Math.max(1024, cfg.maxStreams + cfg.maxQueue + 64),
          maxConnections,
          maxConnectionsPerClient,
          writeStallTimeoutMs,
          writeBudget,
        }),
      })),
    );
  }
  return Promise.all(jobs);
}

/**
 * Loads the HTTP package's Ollama client lazily (upstream mode only). The pool may open one connection per
 * admitted stream, so an admitted stream never waits behind another for a socket; the shared admission bounds it.
 */
export async function loadOllamaClient(): Promise<(url: string, maxStreams: number) => InferenceClient> {
  const { createOllamaClient } = await import("./load-upstream.js");
  return (url, maxStreams) => createOllamaClient({ host: url, connections: Math.min(Math.max(maxStreams, 1), 1024) });
}
