import { createConnection, createServer, type Server, type Socket } from "node:net";
import { attachEchoResponder } from "./duplex-echo.js";

/**
 * A raw Node TCP echo with the traffic shape of an MCP exchange, the floor any framed protocol is compared with.
 * Messages are length-prefixed (4-byte big-endian length, then the body) and parsed one by one on both sides. For
 * every request message the server sends `replySizes.length` reply messages whose total sizes (prefix included)
 * are `replySizes`, their bodies copied from the request's bytes; the client sends messages of `requestSize`
 * bytes (prefix included). With `requestSize` = the MCP OPEN frame and `replySizes` = the DATA and END frames of a
 * one-token generate, both carry the same messages and bytes each way. Each side writes once per `data` event
 * (all replies, or all new requests, the event produced), which is what a hand-written framed server does.
 */
export interface EchoServer {
  port: number;
  close(): Promise<void>;
}

/** Starts the echo server on 127.0.0.1, answering each request message with messages of `replySizes` bytes. */
export async function startEchoServer(replySizes: readonly number[]): Promise<EchoServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.setNoDelay(true);
    attachEchoResponder(s, replySizes);
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

/** A client keeping `inFlight` echo requests outstanding on one connection. */
export interface EchoClient {
  /** Runs for `ms` (then lets outstanding requests finish) and returns completed requests. */
  run(inFlight: number, ms: number): Promise<number>;
  /** Bytes sent and received so far. */
  readonly bytesOut: number;
  readonly bytesIn: number;
  close(): void;
}

/**
 * Connects an {@link EchoClient} sending requests of `requestSize` bytes (prefix included); a request is complete
 * when its `repliesPerRequest`-th reply message has been parsed.
 */
export async function connectEcho(port: number, requestSize: number, repliesPerRequest: number): Promise<EchoClient> {
  const s = createConnection({ host: "127.0.0.1", port });
  s.setNoDelay(true);
  await new Promise<void>((r, j) => {
    s.once("connect", () => r());
    s.once("error", j);
  });
  const template = Buffer.alloc(requestSize, 7);
  template.writeUInt32BE(requestSize - 4, 0);
  let onReplies: ((completed: number) => void) | undefined;
  let rest: Buffer | undefined;
  let replies = 0;
  let bytesIn = 0;
  let bytesOut = 0;
  s.on("data", (d: Buffer) => {
    bytesIn += d.length;
    const buf = rest ? Buffer.concat([rest, d]) : d;
    rest = undefined;
    let o = 0;
    let completed = 0;
    while (buf.length - o >= 4) {
      const len = buf.readUInt32BE(o);
      if (buf.length - o < 4 + len) break;
      o += 4 + len;
      if (++replies === repliesPerRequest) {
        replies = 0;
        completed++;
      }
    }
    if (o < buf.length) rest = Buffer.from(buf.subarray(o));
    if (completed > 0) onReplies?.(completed);
  });
  const send = (n: number) => {
    if (n === 0) return;
    const out = Buffer.allocUnsafe(n * requestSize);
    for (let i = 0; i < n; i++) template.copy(out, i * requestSize);
    bytesOut += out.length;
    s.write(out);
  };
  return {
    run(inFlight, ms) {
      return new Promise((resolve) => {
        let done = 0;
        let outstanding = inFlight;
        const end = performance.now() + ms;
        let stop = false;
        onReplies = (completed) => {
          outstanding -= completed;
          done += completed;
          if (!stop && performance.now() >= end) stop = true;
          if (!stop) {
            outstanding += completed;
            send(completed);
          } else if (outstanding === 0) {
            onReplies = undefined;
            resolve(done);
          }
        };
        send(inFlight);
      });
    },
    get bytesOut() {
      return bytesOut;
    },
    get bytesIn() {
      return bytesIn;
    },
    close: () => s.destroy(),
  };
}
