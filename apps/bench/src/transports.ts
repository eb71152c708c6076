import type { InferenceClient, ListenAddress } from "@modelwire/core";
import { createEchoClient } from "./echo/echo-client.js";

/** Which server process a transport talks to. */
export type ServerKind = "gateway" | "grpc-js" | "echo";

/** A transport under test: how to build its client against a running server process. */
export interface TransportPlugin {
  /** Name in reports, e.g. `"mcp-tcp"`. */
  readonly name: string;
  /** One line for the report. */
  readonly description: string;
  /** The server process it needs. */
  readonly server: ServerKind;
  /** The key of the server's `/control/stats` `servers` map whose byte counters belong to this transport. */
  readonly statsKey: string;
  /** True for the reference points (grpc-js, echo), false for modelwire's own transports. */
  readonly reference: boolean;
  /** Creates a client against the server's bound addresses. */
  create(addresses: readonly ListenAddress[], options: ClientTuning): Promise<InferenceClient>;
}

/** Client knobs common to every transport. */
export interface ClientTuning {
  /** Connections (sockets / sessions) the client may open, where the transport pools. Default: the transport's. */
  connections?: number;
  /** The most streams the run will hold in flight at once (sizes HTTP/1.1's pool: one stream per connection). */
  streams?: number;
}

function addressOf(addresses: readonly ListenAddress[], protocol: string): string {
  const a = addresses.find((x) => x.protocol === protocol);
  if (!a)
    throw new Error(
      `the server has no "${protocol}" listener (addresses: ${addresses.map((x) => x.protocol).join(", ")})`,
    );
  return a.url;
}

// Protocol packages load on first use: the bench never loads code for a transport it does not run, and a
// transport whose package fails to load is reported and skipped.

function connectPlugin(name: string, protocol: "grpc" | "connect" | "grpc-web", description: string): TransportPlugin {
  return {
    name,
    description,
    server: "gateway",
    statsKey: "connect",
    reference: false,
    async create(addresses) {
      const { createConnectClient } = await import("@modelwire/connect");
      return createConnectClient({ baseUrl: addressOf(addresses, "connect"), protocol, retry: false });
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

/** Every transport the bench knows, in report order. */
export const TRANSPORTS: readonly TransportPlugin[] = [
  {
    name: "http",
    description: "Ollama REST API: NDJSON over HTTP/1.1 (undici pool)",
    server: "gateway",
    statsKey: "http",
    reference: false,
    async create(addresses, o) {
      const { createOllamaClient } = await import("@modelwire/http");
      // One connection per concurrent stream is HTTP/1.1's only way to run streams in parallel; no retries, so a
      // failure counts as one.
      return createOllamaClient({
        host: addressOf(addresses, "http"),
        connections: o.connections ?? Math.max(16, o.streams ?? 256),
        retries: 0,
      });
    },
  },
  {
    name: "openai",
    description: "OpenAI-compatible API: Server-Sent Events over HTTP/1.1, /v1/completions (undici pool)",
    server: "gateway",
    statsKey: "http",
    reference: false,
    async create(addresses, o) {
      const { createOpenAIClient } = await import("@modelwire/http/openai");
      // The same pool sizing and no-retry rule as the Ollama HTTP client: both are HTTP/1.1, one stream per
      // connection. The gateway's HTTP listener serves both APIs.
      return createOpenAIClient({
        baseUrl: `${addressOf(addresses, "http")}/v1`,
        connections: o.connections ?? Math.max(16, o.streams ?? 256),
        retries: 0,
      });
    },
  },
  connectPlugin("connect-grpc", "grpc", "gRPC over HTTP/2 (connect-node client, modelwire server)"),
  connectPlugin("connect", "connect", "Connect protocol over HTTP/2 (binary Protobuf)"),
  connectPlugin("grpc-web", "grpc-web", "gRPC-Web over HTTP/2"),
  {
    name: "mcp-tcp",
    description: "Model Communication Protocol: binary multiplexed frames over TCP",
    server: "gateway",
    statsKey: "mcp",
    reference: false,
    async create(addresses, o) {
      const { createMcpClient } = await import("@modelwire/mcp");
      return createMcpClient({ url: addressOf(addresses, "mcp-tcp"), poolSize: mcpPool(o), reconnect: false });
    },
  },
  {
    name: "mcp-uds",
    description: "Model Communication Protocol over a Unix domain socket",
    server: "gateway",
    statsKey: "mcp",
    reference: false,
    async create(addresses, o) {
      const { createMcpClient } = await import("@modelwire/mcp");
      return createMcpClient({ url: addressOf(addresses, "mcp-uds"), poolSize: mcpPool(o), reconnect: false });
    },
  },
  {
    name: "grpc-js",
    description: "reference: stock @grpc/grpc-js client and server pair",
    server: "grpc-js",
    statsKey: "grpc-js",
    reference: true,
    async create(addresses) {
      const { createGrpcJsClient } = await import("@modelwire/connect/grpc-js");
      return createGrpcJsClient({ address: addressOf(addresses, "grpc-js") });
    },
  },
  {
    name: "echo",
    description: "floor: raw Node TCP, length-prefixed frames, one frame per token",
    server: "echo",
    statsKey: "echo",
    reference: true,
    async create(addresses, o) {
      return createEchoClient({ url: addressOf(addresses, "echo"), connections: o.connections ?? 1 });
    },
  },
];

/** Looks transports up by name (comma list or array); `all` selects every one. Throws naming an unknown one. */
export function selectTransports(names: string | readonly string[]): TransportPlugin[] {
  const list =
    typeof names === "string"
      ? names
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean)
      : [...names];
  if (list.length === 0 || list.includes("all")) return [...TRANSPORTS];
  return list.map((n) => {
    const t = TRANSPORTS.find((x) => x.name === n);
    if (!t) throw new RangeError(`unknown transport "${n}" (known: ${TRANSPORTS.map((x) => x.name).join(", ")}, all)`);
    return t;
  });
}
