import { createServer, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";

/** A node:http server for a test, on an ephemeral loopback port; see {@link listenLoopback}. */
export interface LoopbackServer {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** Connections the server accepted so far. */
  connections(): number;
  /** Closes every connection, then the server. */
  close(): Promise<void>;
}

/** Starts `handler` on 127.0.0.1 port 0, counting the connections it accepts (stand-ins written from API docs). */
export async function listenLoopback(handler: RequestListener): Promise<LoopbackServer> {
  let connections = 0;
  const server = createServer(handler);
  server.on("connection", () => connections++);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
