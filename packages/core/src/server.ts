import type { ModelwireError } from "./error.js";

/** One address a {@link ProtocolServer} listens on. */
export interface ListenAddress {
  /** e.g. `"http"`, `"connect"`, `"mcp-tcp"`, `"mcp-uds"`. */
  protocol: string;
  /** A URL (`http://127.0.0.1:11435`, `tcp://127.0.0.1:7733`, `tls://...`) or `unix:/path/to.sock`. */
  url: string;
}

/** Socket-level figures of a server, since it started. */
export interface ServerStats {
  /** Connections open now. */
  connections: number;
  /** Calls (requests, RPCs, MCP streams) in flight now. */
  inFlight: number;
  /** Bytes read from all sockets, including closed ones. */
  bytesIn: number;
  /** Bytes written to all sockets, including closed ones. */
  bytesOut: number;
  /** Connections refused by the listener's connection caps since start (see `createConnectionGate`). */
  refused?: number;
  /** Streams or connections cut because their reader stopped reading (see `createStallWatch`) since start. */
  stalled?: number;
}

/**
 * The shape every protocol's server has (HTTP, Connect/gRPC, MCP), so the gateway starts, observes and drains
 * them alike.
 */
export interface ProtocolServer {
  /** Binds and starts accepting. Resolves with the bound addresses (port 0 resolved to the real port). */
  listen(): Promise<ListenAddress[]>;
  /**
   * Stops accepting new connections and calls; calls in flight may finish within `graceMs` (MCP goaway, HTTP/2
   * GOAWAY), then remaining connections are destroyed. Resolves when everything is closed.
   */
  close(options?: { graceMs?: number }): Promise<void>;
  /** Figures now. */
  stats(): ServerStats;
}

/** Observes one call on a server; every method is optional to call and cheap. */
export interface CallObserver {
  /** A content chunk (a token) was sent. */
  chunk(): void;
  /** The call ended; `error` when it failed (its code is what the client sees). */
  end(error?: ModelwireError): void;
}

/** Hooks a server calls so the gateway can keep metrics (requests, errors by code, TTFT, tokens ...). */
export interface ServerObserver {
  /** A call started: `protocol` like `"http"`, `method` like `"generate"`, `"chat"`, `"embed"`, `"list"`. */
  callStarted(protocol: string, method: string): CallObserver;
}

/** An observer that records nothing. */
export const noopObserver: ServerObserver = {
  callStarted: () => ({ chunk() {}, end() {} }),
};

/**
 * Whether a server is ready for calls, as health checks report it (gRPC `grpc.health.v1`, the admin `/healthz`).
 * The gateway owns one: not serving while it drains, or while its upstream does not answer.
 */
export interface ServingState {
  /** True while the server takes calls. */
  readonly serving: boolean;
  /** Changes the state; listeners hear only real changes. */
  set(serving: boolean): void;
  /** Calls `listener` after every change; returns the function that stops it. */
  subscribe(listener: (serving: boolean) => void): () => void;
}

/** Creates a {@link ServingState}, serving unless `serving` is false. */
export function createServingState(serving = true): ServingState {
  let now = serving;
  const listeners = new Set<(serving: boolean) => void>();
  return {
    get serving() {
      return now;
    },
    set(next) {
      if (next === now) return;
      now = next;
      for (const l of [...listeners]) l(next);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
