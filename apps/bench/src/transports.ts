import type { InferenceClient, ListenAddress } from "@modelwire/core";
import { createEchoClient } from "./echo/echo-client.js";
import { importGrpcJs } from "./grpc-js-optional.js";

/** Which server process a transport talks to (`upstream`: the Ollama behind `--upstream`, never spawned). */
export type ServerKind = "gateway" | "grpc-js" | "echo" | "upstream";

/** Where a client connects, and how it authenticates. */
export interface Endpoint {
  /** `http(s)://…` (HTTP, OpenAI, Connect), `tcp://` / `tls://host:port` or `unix:/path` (MCP). */
  url: string;
  /** Bearer token (HTTP, OpenAI, Connect) or MCP HELLO token. */
  authToken?: string;
  /** PEM text of a CA to trust for `https://` and `tls://`. */
  ca?: string;
}

/** A transport under test: how to build its client against a server. */
export interface TransportPlugin {
  /** Name in reports, e.g. `"mcp-tcp"`. */
  readonly name: string;
  /** One line for the report. */
  readonly description: string;
  /** The server process it needs. */
  readonly server: ServerKind;
  /** The bound address (ready-line protocol) of a spawned server it connects to. */
  readonly listener: string;
  /** The key of the server's `/control/stats` `servers` map whose byte counters belong to this transport. */
  readonly statsKey: string;
  /** True for the reference points (grpc-js, echo, direct), false for modelwire's own transports. */
  readonly reference: boolean;
  /** Creates a client against an endpoint. */
  create(endpoint: Endpoint, options: ClientTuning): Promise<InferenceClient>;
}

/** Client knobs common to every transport. */
export interface ClientTuning {
  /** Connections (sockets / sessions) the client may open, where the transport pools. Default: the transport's. */
  connections?: number;
  /** The most streams the run will hold in flight at once (sizes HTTP/1.1's pool: one stream per connection). */
  streams?: number;
}

/** The endpoint of a spawned server's listener for `plugin`. Throws when the server has no such listener. */
export function endpointFor(plugin: TransportPlugin, addresses: readonly ListenAddress[]): Endpoint {
  const a = addresses.find((x) => x.protocol === plugin.listener);
  if (!a)
    throw new Error(
      `the server has no "${plugin.listener}" listener (addresses: ${addresses.map((x) => x.protocol).join(", ")})`,
    );
  return { url: a.url };
}

// Protocol packages load on first use: the bench never loads code for a transport it does not run, and a
// transport whose package fails to load is reported and skipped.

function connectPlugin(name: string, protocol: "grpc" | "connect" | "grpc-web", description: string): TransportPlugin {
  return {
    name,
    description,
    server: "gateway",
    listener: "connect",
    statsKey: "connect",
    reference: false,
    async create(e) {
      const { createConnectClient } = await import("@modelwire/connect");
      return createConnectClient({
        baseUrl: e.url,
        protocol,
        retry: false,
        ...(e.authToken !== undefined ? { authToken: e.authToken } : {}),
        ...(e.ca !== undefined ? { tls: { ca: e.ca } } : {}),
      });
    },
  };
}

/**
 * MCP connections: one, unless the run holds more streams than a connection admits (the server announces 128 per
 * connection and refuses beyond it; the client does not queue), then enough to stay under 100 each.
 */
function mcpPool(o: ClientTuning): number {
  return o.connections ?? Math.max(1, Math.ceil((o.streams ?? 1) / 100));
}

function mcpPlugin(name: "mcp-tcp" | "mcp-uds", description: string): TransportPlugin {
  return {
    name,
    description,
    server: "gateway",
    listener: name,
    statsKey: "mcp",
    reference: false,
    async create(e, o) {
      const { createMcpClient } = await import("@modelwire/mcp");
      return createMcpClient({
        url: e.url,
        poolSize: mcpPool(o),
        reconnect: false,
        ...(e.authToken !== undefined ? { authToken: e.authToken } : {}),
        ...(e.ca !== undefined ? { tls: { ca: e.ca } } : {}),
      });
    },
  };
}

/** The Ollama HTTP client for an endpoint: one connection per concurrent stream, no retries (a failure counts). */
async function ollamaHttpClient(e: Endpoint, o: ClientTuning): Promise<InferenceClient> {
  const { createOllamaClient } = await import("@modelwire/http");
  // One connection per concurrent stream is HTTP/1.1's only way to run streams in parallel; no retries, so a
  // failure counts as one.
  return createOllamaClient({
    host: e.url,
    connections: o.connections ?? Math.max(16, o.streams ?? 256),
    retries: 0,
    ...(e.authToken !== undefined ? { authToken: e.authToken } : {}),
    ...(e.ca !== undefined ? { tls: { ca: e.ca } } : {}),
  });
}

/** Every transport the bench knows, in report order. */
export const TRANSPORTS: readonly TransportPlugin[] = [
  {
    name: "direct",
    description: "baseline: the same Ollama HTTP client straight to the upstream, no gateway (with --upstream)",
    server: "upstream",
    listener: "http",
    statsKey: "http",
    reference: true,
    create: ollamaHttpClient,
  },
  {
    name: "http",
    description: "Ollama REST API: NDJSON over HTTP/1.1 (undici pool)",
    server: "gateway",
    listener: "http",
    statsKey: "http",
    reference: false,
    create: ollamaHttpClient,
  },
  {
    name: "openai",
    description: "OpenAI-compatible API: Server-Sent Events over HTTP/1.1, /v1/completions (undici pool)",
    server: "gateway",
    listener: "http",
    statsKey: "http",
    reference: false,
    async create(e, o) {
      const { createOpenAIClient } = await import("@modelwire/http/openai");
      // The same pool sizing and no-retry rule as the Ollama HTTP client: both are HTTP/1.1, one stream per
      // connection. A spawned gateway's HTTP listener serves both APIs (its OpenAI base is /v1); a --target gives
      // the base URL itself.
      return createOpenAIClient({
        baseUrl: /\/v\d+$/.test(e.url) ? e.url : `${e.url}/v1`,
        connections: o.connections ?? Math.max(16, o.streams ?? 256),
        retries: 0,
        ...(e.authToken !== undefined ? { authToken: e.authToken } : {}),
        ...(e.ca !== undefined ? { tls: { ca: e.ca } } : {}),
      });
    },
  },
  connectPlugin("connect-grpc", "grpc", "gRPC over HTTP/2 (connect-node client, modelwire server)"),
  connectPlugin("connect", "connect", "Connect protocol over HTTP/2 (binary Protobuf)"),
  connectPlugin("grpc-web", "grpc-web", "gRPC-Web over HTTP/2"),
  mcpPlugin("mcp-tcp", "Model Communication Protocol: binary multiplexed frames over TCP"),
  mcpPlugin("mcp-uds", "Model Communication Protocol over a Unix domain socket"),
  {
    name: "grpc-js",
    description: "reference: stock @grpc/grpc-js client and server pair",
    server: "grpc-js",
    listener: "grpc-js",
    statsKey: "grpc-js",
    reference: true,
    async create(e) {
      const { createGrpcJsClient } = await importGrpcJs();
      return createGrpcJsClient({ address: e.url });
    },
  },
  {
    name: "echo",
    description: "floor: raw Node TCP, length-prefixed frames, one frame per token",
    server: "echo",
    listener: "echo",
    statsKey: "echo",
    reference: true,
    async create(e, o) {
      return createEchoClient({ url: e.url, connections: o.connections ?? 1 });
    },
  },
];

/** The transports `all` selects: every one but `direct`, which only runs with `--upstream`. */
export const DEFAULT_TRANSPORTS: readonly TransportPlugin[] = TRANSPORTS.filter((t) => t.server !== "upstream");

/** Looks transports up by name (comma list or array); `all` selects every one. Throws naming an unknown one. */
export function selectTransports(names: string | readonly string[]): TransportPlugin[] {
  const list =
    typeof names === "string"
      ? names
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean)
      : [...names];
  if (list.length === 0 || list.includes("all")) return [...DEFAULT_TRANSPORTS];
  return list.map((n) => {
    const t = TRANSPORTS.find((x) => x.name === n);
    if (!t) throw new RangeError(`unknown transport "${n}" (known: ${TRANSPORTS.map((x) => x.name).join(", ")}, all)`);
    return t;
  });
}
