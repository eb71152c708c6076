import type { Socket } from "node:net";
import {
  Code,
  type ConnectionGate,
  createConnectionGate,
  type ListenAddress,
  ModelwireError,
  type ProtocolServer,
  type ServerStats,
  setLongTimeout,
} from "@modelwire/core";
import { type Listener, listenAll } from "./listeners.js";
import { ServerConnection } from "./server-connection.js";
import { type McpServerOptions, resolveServerOptions, type ServerShared } from "./server-options.js";

export type { McpServerOptions, McpTlsListenOptions } from "./server-options.js";

/**
 * The MCP server: its listeners (listeners.ts), the connections they accept (server-connection.ts, where the
 * protocol runs) and the graceful close that drains them.
 */
class McpServer implements ProtocolServer {
  private readonly shared: ServerShared;
  private readonly listeners: Listener[] = [];
  private readonly connections = new Set<ServerConnection>();
  /** One connection gate per listener (by protocol name). */
  private readonly gates = new Map<string, ConnectionGate>();
  private closing: Promise<void> | undefined;
  private emptyWaiters: (() => void)[] = [];

  constructor(private readonly options: McpServerOptions) {
    this.shared = resolveServerOptions(options);
  }

  private accept(socket: Socket, protocol: string): void {
    if (this.shared.draining) {
      socket.destroy();
      return;
    }
    let gate = this.gates.get(protocol);
    if (!gate) {
      gate = createConnectionGate(this.shared.connectionLimits);
      this.gates.set(protocol, gate);
    }
    const refusal = gate.admit(socket);
    if (refusal && !refusal.answer) return;
    const conn = new ServerConnection(socket, this.shared, protocol, (c) => {
      this.shared.bytesOut += c.bytesOut;
      this.connections.delete(c);
      if (this.connections.size === 0) {
        const w = this.emptyWaiters;
        this.emptyWaiters = [];
        for (const f of w) f();
      }
    });
    this.connections.add(conn);
    // Over a cap: ERROR(0) resource_exhausted naming it, then close (the client reads it as its connect error).
    if (refusal) conn.fail(refusal.error);
  }

  listen(): Promise<ListenAddress[]> {
    return listenAll(this.options, (s, protocol) => this.accept(s, protocol), this.listeners, {
      handshakeTimeoutMs: this.shared.handshakeTimeoutMs,
      maxConnections: this.shared.connectionLimits.maxConnections,
    });
  }

  stats(): ServerStats {
    let live = 0;
    for (const c of this.connections) live += c.bytesOut;
    let refused = 0;
    for (const g of this.gates.values()) refused += g.refused;
    return {
      connections: this.connections.size,
      inFlight: this.shared.inFlight,
      bytesIn: this.shared.bytesIn,
      bytesOut: this.shared.bytesOut + live,
      refused,
      stalled: this.shared.stallWatch.stalled,
    };
  }

  close(options: { graceMs?: number } = {}): Promise<void> {
    if (!this.closing) this.closing = this.doClose(options.graceMs ?? 5000);
    return this.closing;
  }

  private async doClose(graceMs: number): Promise<void> {
    this.shared.draining = true;
    const closed = this.listeners.map(
      (l) =>
        new Promise<void>((resolve) => {
          l.server.close(() => resolve());
          l.cleanup?.();
        }),
    );
    for (const c of this.connections) c.goaway();
    if (this.connections.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setLongTimeout(resolve, graceMs);
        this.emptyWaiters.push(() => {
          timer.clear();
          resolve();
        });
      });
    }
    // Streams still open after the grace period fail with a cause: ERROR on stream 0 (UNAVAILABLE), then the
    // socket is ended (and destroyed after 2 s if the peer does not read it).
    const over = new ModelwireError("server shutting down: the grace period is over", Code.Unavailable);
    for (const c of this.connections) c.fail(over);
    await Promise.all(closed);
  }
}

/**
 * Creates an MCP (Model Communication Protocol) server that runs `options.engine` for every stream, on TCP, a Unix
 * socket and/or TLS. Implements {@link ProtocolServer}: `listen()` binds, `close({ graceMs })` sends GOAWAY and lets
 * streams in flight finish, `stats()` counts connections, streams and socket bytes.
 */
export function createMcpServer(options: McpServerOptions): ProtocolServer {
  return new McpServer(options);
}
