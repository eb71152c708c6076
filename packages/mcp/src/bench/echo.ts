import { createConnection, createServer, type Server, type Socket } from "node:net";

/** A raw Node TCP echo of 4-byte length-prefixed messages: the floor any framed protocol is compared with. */
export interface EchoServer {
  port: number;
  close(): Promise<void>;
}

/** Starts the echo server on 127.0.0.1. */
export async function startEchoServer(): Promise<EchoServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.setNoDelay(true);
    let buf = Buffer.alloc(0);
    s.on("data", (d) => {
      buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
      let o = 0;
      const out: Buffer[] = [];
      while (buf.length - o >= 4) {
        const len = buf.readUInt32BE(o);
        if (buf.length - o < 4 + len) break;
        out.push(buf.subarray(o, o + 4 + len));
        o += 4 + len;
      }
      buf = buf.subarray(o);
      if (out.length === 1) s.write(out[0]);
      else if (out.length > 1) s.write(Buffer.concat(out));
    });
    s.on("error", () => {});
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A client keeping `inFlight` echo requests of `size` bytes outstanding on one connection. */
export interface EchoClient {
  /** Runs for `ms` and returns completed round trips. */
  run(inFlight: number, ms: number): Promise<number>;
  close(): void;
}

/** Connects an {@link EchoClient}. */
export async function connectEcho(port: number, size: number): Promise<EchoClient> {
  const s = createConnection({ host: "127.0.0.1", port });
  s.setNoDelay(true);
  await new Promise<void>((r) => s.once("connect", () => r()));
  const msg = Buffer.alloc(4 + size, 7);
  msg.writeUInt32BE(size, 0);
  let onReply: (() => void) | undefined;
  let buf = Buffer.alloc(0);
  s.on("data", (d) => {
    buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
    let o = 0;
    while (buf.length - o >= 4) {
      const len = buf.readUInt32BE(o);
      if (buf.length - o < 4 + len) break;
      o += 4 + len;
      onReply?.();
    }
    buf = buf.subarray(o);
  });
  return {
    run(inFlight, ms) {
      return new Promise((resolve) => {
        let done = 0;
        let outstanding = 0;
        let stop = false;
        const end = performance.now() + ms;
        const pending: Buffer[] = [];
        let scheduled = false;
        const send = () => {
          outstanding++;
          pending.push(msg);
          if (!scheduled) {
            scheduled = true;
            process.nextTick(() => {
              scheduled = false;
              s.write(pending.length === 1 ? pending[0] : Buffer.concat(pending));
              pending.length = 0;
            });
          }
        };
        onReply = () => {
          outstanding--;
          done++;
          if (!stop && performance.now() >= end) stop = true;
          if (!stop) send();
          else if (outstanding === 0) {
            onReply = undefined;
            resolve(done);
          }
        };
        for (let i = 0; i < inFlight; i++) send();
      });
    },
    close: () => s.destroy(),
  };
}
