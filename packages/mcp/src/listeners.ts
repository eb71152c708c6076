import { lstatSync, rmSync } from "node:fs";
import { createServer as createNetServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import type { ListenAddress } from "@modelwire/core";
import { formatEndpoint } from "./endpoint.js";
import type { McpServerOptions } from "./server-options.js";

/** A bound listener of the MCP server. */
export interface Listener {
  readonly server: Server;
  readonly protocol: string;
  /** Runs when the listener closes (removes the Unix socket file). */
  readonly cleanup?: () => void;
}

/** Removes a leftover Unix socket file at `path`; anything that is not a socket is left alone (listen then fails). */
function removeStaleSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) rmSync(path, { force: true });
  } catch {
    // Nothing there.
  }
}

/** Resolves once `server` is bound by `bind`; rejects with the bind error (a port in use, say). */
function bound(server: Server, bind: (cb: () => void) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    bind(() => {
      server.off("error", reject);
      resolve();
    });
  });
}

/**
 * Binds the three kinds of listener the options ask for, in this order: TCP (`mcp-tcp`, default host 127.0.0.1), a
 * Unix domain socket (`mcp-uds`, a stale socket file removed first) and TLS over TCP (`mcp-tls`). Each accepted
 * socket goes to `accept` with its protocol name. Each listener is pushed onto `into` as soon as it is bound, so
 * the caller can close what was bound when a later one fails.
 *
 * The TLS listener hands a socket over only once its TLS handshake is done, so what it holds before that is
 * bounded here: a handshake not done within `guard.handshakeTimeoutMs` is closed (Node's default is 120 s; a
 * `handshakeTimeout` in `o.tls` wins), and the listener takes at most `guard.maxConnections` + 64 sockets at once
 * (a backstop for those still in their handshake, which the connection gate does not see yet).
 */
export async function listenAll(
  o: McpServerOptions,
  accept: (socket: Socket, protocol: string) => void,
  into: Listener[],
  guard: { handshakeTimeoutMs: number; maxConnections: number },
): Promise<ListenAddress[]> {
  const out: ListenAddress[] = [];
  if (o.tcp) {
    const server = createNetServer((s) => accept(s, "mcp-tcp"));
    const host = o.tcp.host ?? "127.0.0.1";
    await bound(server, (cb) => server.listen(o.tcp?.port, host, cb));
    into.push({ server, protocol: "mcp-tcp" });
    const port = (server.address() as { port: number }).port;
    out.push({ protocol: "mcp-tcp", url: formatEndpoint({ kind: "tcp", host, port }) });
  }
  if (o.unix) {
    const path = o.unix.path;
    removeStaleSocket(path);
    const server = createNetServer((s) => accept(s, "mcp-uds"));
    await bound(server, (cb) => server.listen(path, cb));
    into.push({ server, protocol: "mcp-uds", cleanup: () => removeStaleSocket(path) });
    out.push({ protocol: "mcp-uds", url: formatEndpoint({ kind: "unix", path }) });
  }
  if (o.tls) {
    const { host: h, port: p, ...tlsOptions } = o.tls;
    const host = h ?? "127.0.0.1";
    const server = createTlsServer({ handshakeTimeout: guard.handshakeTimeoutMs, ...tlsOptions }, (s) =>
      accept(s, "mcp-tls"),
    );
    // A failed or timed-out handshake: Node reports it here and leaves the socket open (a timeout sends nothing).
    server.on("tlsClientError", (_e, socket) => socket.destroy());
    server.maxConnections = guard.maxConnections + 64;
    await bound(server, (cb) => server.listen(p, host, cb));
    into.push({ server, protocol: "mcp-tls" });
    const port = (server.address() as { port: number }).port;
    out.push({ protocol: "mcp-tls", url: formatEndpoint({ kind: "tls", host, port }) });
  }
  return out;
}
