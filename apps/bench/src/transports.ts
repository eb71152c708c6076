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
  /** Connections (sockets / sessions) the client may open, where the transport pools. Default 1. */
  connections?: number;
}

function addressOf(addresses: readonly ListenAddress[], protocol: string): string {
  const a = addresses.find((x) => x.protocol === protocol);
  if (!a) throw new Error(`the server has no "${protocol}" listener (addresses: ${addresses.map((x) => x.protocol).join(", ")})`);
  return a.url;
}

// Imported by name at run time: a transport whose package is missing or broken is reported and skipped, and the
// bench never loads protocol code it does not run.
type Factory = (options: Record<string, unknown>) => InferenceClient;
async function factory(pkg: string, name: string): Promise<Factory> {
  const mod = (await import(pkg)) as Record<string, unknown>;
  const f = mod[name];
  if (typeof f !== "function") throw new Error(`${pkg} does not export ${name}`);
  return f as Factory;
}

const HTTP_PKG = "@modelwire/http";
const CONNECT_PKG = "@modelwire/connect";
const MCP_PKG = "@modelwire/mcp";

function connectPlugin(name: string, protocol: "grpc" | "connect" | "grpc-web", description: string): TransportPlugin {
  return {
    name,
    description,
    server: "gateway",
    statsKey: "connect",
    reference: false,
    async create(addresses) {
      const f = await factory(CONNECT_PKG, "createConnectClient");
      return f({ baseUrl: addressOf(addresses, "connect"), protocol, retry: false });
    },
  };
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
      const f = await factory(HTTP_PKG, "createOllamaClient");
      return f({ host: addressOf(addresses, "http"), connections: o.connections ?? 64 });
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
      const f = await factory(MCP_PKG, "createMcpClient");
      return f({ url: addressOf(addresses, "mcp-tcp"), connections: o.connections });
    },
  },
  {
    name: "mcp-uds",
    description: "Model Communication Protocol over a Unix domain socket",
    server: "gateway",
    statsKey: "mcp",
    reference: false,
    async create(addresses, o) {
      const f = await factory(MCP_PKG, "createMcpClient");
      return f({ url: addressOf(addresses, "mcp-uds"), connections: o.connections });
    },
  },
  {
    name: "grpc-js",
    description: "reference: stock @grpc/grpc-js client and server pair",
    server: "grpc-js",
    statsKey: "grpc-js",
    reference: true,
    async create(addresses) {
      const f = await factory(CONNECT_PKG, "createGrpcJsClient");
      return f({ address: addressOf(addresses, "grpc-js") });
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
  const list = typeof names === "string" ? names.split(",").map((s) => s.trim()).filter(Boolean) : [...names];
  if (list.length === 0 || list.includes("all")) return [...TRANSPORTS];
  return list.map((n) => {
    const t = TRANSPORTS.find((x) => x.name === n);
    if (!t) throw new RangeError(`unknown transport "${n}" (known: ${TRANSPORTS.map((x) => x.name).join(", ")}, all)`);
    return t;
  });
}
