import type { Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import {
  Code,
  type ConnectionLimits,
  createConnectionGate,
  createSocketTally,
  type ListenAddress,
  ModelwireError,
  type Refusal,
  type ServerStats,
  setLongTimeout,
} from "@modelwire/core";

/**
 * How long calls aborted at the end of the grace period get to write their error before the sockets left are
 * destroyed (a reply that ends closes its connection at once; this bounds a client that stopped reading).
 */
export const SHUTDOWN_FLUSH_MS = 1_000;

/**
 * The life of an HTTP listener: binding, the sockets and calls it holds, and a graceful close. Calls register
 * their abort controller while they run, so the close can abort those still running after the grace period.
 */
export interface ServerLifecycle {
  /** Binds `host:port` (0 picks a free port) and resolves with the bound address as an `http://` URL. */
  listen(port: number, host: string): Promise<ListenAddress[]>;
  /**
   * Stops accepting; idle keep-alive connections close at once, calls in flight may finish within `graceMs`, then
   * their engine calls are aborted (UNAVAILABLE, which each reply ends with as its error) and, after
   * {@link SHUTDOWN_FLUSH_MS} for those errors to go out, every socket left is destroyed. Resolves when the
   * listener, every socket and every call are done. Calling it again returns the same promise.
   */
  close(graceMs: number): Promise<void>;
  /** True once {@link close} was called (requests are then refused with 503). */
  readonly closing: boolean;
  /** A call started; `controller` aborts its engine call at shutdown. */
  callStarted(controller: AbortController): void;
  /** The call of `controller` ended; while closing, its connection closes once the reply is out. */
  callEnded(controller: AbortController, res: ServerResponse): void;
  /** The gate's refusal of the connection `socket`, when it was over a connection cap (its requests get it). */
  refusalOf(socket: Socket): Refusal | undefined;
  /** Connections open, calls in flight, socket bytes, connections accepted and refused. */
  stats(): ServerStats & { accepted: number };
  /** The bound address, once listening. */
  address(): { host: string; port: number } | undefined;
}

/**
 * Tracks `server`'s connections and calls from now on (it must not be listening yet), counting connections against
 * `limits` (see `createConnectionGate`).
 */
export function createServerLifecycle(server: Server, limits: ConnectionLimits = {}): ServerLifecycle {
  /** While closing: resolves `close()` once the listener, every socket and every call are done. */
  let settle: (() => void) | undefined;
  const sockets = createSocketTally<Socket>(() => settle?.());
  const active = new Set<AbortController>();
  let closing = false;
  let closed: Promise<void> | undefined;
  let bound: { host: string; port: number } | undefined;

  const gate = createConnectionGate(limits);
  const refused = new WeakMap<Socket, Refusal>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    const refusal = gate.admit(socket);
    if (refusal) refused.set(socket, refusal);
  });
  // A backstop for connections the gate refuses while they are being answered.
  server.maxConnections = gate.limits.maxConnections + 64;

  return {
    get closing() {
      return closing;
    },
    address: () => bound,
    refusalOf: (socket) => refused.get(socket),
    listen(port, host) {
      return new Promise<ListenAddress[]>((resolve, reject) => {
        const onError = (e: Error) => reject(ModelwireError.from(e, Code.Unavailable));
        server.once("error", onError);
        server.listen(port, host, () => {
          server.off("error", onError);
          const a = server.address();
          if (a === null || typeof a === "string") {
            reject(new ModelwireError("server bound to an unexpected address", Code.Internal));
            return;
          }
          bound = { host: a.address, port: a.port };
          resolve([{ protocol: "http", url: `http://${formatHost(a.address)}:${a.port}` }]);
        });
      });
    },
    callStarted(controller) {
      active.add(controller);
    },
    callEnded(controller, res) {
      active.delete(controller);
      if (closing) {
        res.once("finish", () => setImmediate(() => server.closeIdleConnections()));
        settle?.();
      }
    },
    close(graceMs) {
      if (closed) return closed;
      closing = true;
      closed = new Promise<void>((resolve) => {
        if (!server.listening) {
          for (const s of sockets.open) s.destroy();
          resolve();
          return;
        }
        let serverClosed = false;
        settle = () => {
          if (serverClosed && sockets.open.size === 0 && active.size === 0) {
            settle = undefined;
            resolve();
          }
        };
        server.close(() => {
          serverClosed = true;
          settle?.();
        });
        server.closeIdleConnections();
        let cut: ReturnType<typeof setTimeout> | undefined;
        const timer = setLongTimeout(() => {
          // Calls still running answer the abort with their error (a last NDJSON line, an SSE error event):
          // give those a moment to reach the clients, which close as they finish, before cutting what is left.
          const reason = new ModelwireError("server shutting down", Code.Unavailable);
          for (const c of active) c.abort(reason);
          cut = setTimeout(() => {
            server.closeAllConnections();
            for (const s of sockets.open) s.destroy();
          }, SHUTDOWN_FLUSH_MS);
          cut.unref();
        }, graceMs).unref();
        server.once("close", () => {
          timer.clear();
          clearTimeout(cut);
        });
      });
      return closed;
    },
    stats() {
      const { bytesIn, bytesOut } = sockets.bytes();
      return {
        connections: sockets.open.size,
        inFlight: active.size,
        bytesIn,
        bytesOut,
        accepted: sockets.added,
        refused: gate.refused,
      };
    },
  };
}

/** `host` as it goes in a URL (IPv6 in brackets). */
export function formatHost(h: string): string {
  return h.includes(":") ? `[${h}]` : h;
}
