import { createServer, type RequestListener } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";

/** A node:http (or node:https) server for a test, on an ephemeral loopback port; see {@link listenLoopback}. */
export interface LoopbackServer {
  /** `http://127.0.0.1:PORT` (`https://` with `tls`). */
  url: string;
  /** Connections the server accepted so far. */
  connections(): number;
  /** Closes every connection, then the server. */
  close(): Promise<void>;
}

/**
 * Starts `handler` on 127.0.0.1 port 0, counting the connections it accepts (stand-ins written from API docs); with
 * `tls` (a key and certificate in PEM) it serves HTTPS.
 */
export async function listenLoopback(
  handler: RequestListener,
  tls?: { key: string; cert: string },
): Promise<LoopbackServer> {
  let connections = 0;
  const server = tls ? createHttpsServer({ key: tls.key, cert: tls.cert }, handler) : createServer(handler);
  // A TLS server's "connection" is the TCP one, before the handshake: the same count either way.
  server.on("connection", () => connections++);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `${tls ? "https" : "http"}://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
