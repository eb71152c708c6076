import { createConnection, createServer, type Server, type Socket } from "node:net";

/**
 * A loopback TCP proxy that can stop forwarding (a peer that hangs without closing, like a SIGSTOPped process) —
 * test use only.
 */
export interface FreezeProxy {
  /** `tcp://127.0.0.1:port` of the proxy. */
  url: string;
  /**
   * Stops forwarding in both directions, closes included: a side that closes after this is not passed on (a stopped
   * process would not see it or send a FIN), so the other side only learns of the hang by its own timers. Sockets stay
   * open until {@link FreezeProxy.close}.
   */
  freeze(): void;
  /** Closes everything. */
  close(): Promise<void>;
}

/** Starts a proxy to `target` (host 127.0.0.1). */
export async function startFreezeProxy(targetPort: number): Promise<FreezeProxy> {
  const sockets = new Set<Socket>();
  let frozen = false;
  const server: Server = createServer((down) => {
    const up = createConnection({ host: "127.0.0.1", port: targetPort });
    sockets.add(down);
    sockets.add(up);
    const forward = (from: Socket, to: Socket) =>
      from.on("data", (d) => {
        if (!frozen) to.write(d);
      });
    forward(down, up);
    forward(up, down);
    const end = () => {
      if (frozen) return;
      down.destroy();
      up.destroy();
    };
    down.on("error", end).on("close", end);
    up.on("error", end).on("close", end);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `tcp://127.0.0.1:${port}`,
    freeze() {
      frozen = true;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
