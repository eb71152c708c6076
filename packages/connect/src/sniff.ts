import type * as net from "node:net";

/** The 24 bytes every HTTP/2 client sends first (RFC 9113 §3.4). */
const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
/** Milliseconds a client may take to send its first bytes before the connection is dropped. */
const SNIFF_TIMEOUT_MS = 10_000;

/** Where a sniffed connection goes. */
export interface PrefaceRoutes {
  http2(socket: net.Socket): void;
  http1(socket: net.Socket): void;
}

/**
 * Returns a connection handler that reads a cleartext connection's first bytes and hands the socket (with those
 * bytes put back) to the HTTP/2 server when they are the HTTP/2 connection preface, and to the HTTP/1.1 server
 * otherwise. Node's HTTP/2 session picks up bytes already buffered on the socket, and so does the HTTP/1 parser.
 */
export function createPrefaceSniffer(routes: PrefaceRoutes): (socket: net.Socket) => void {
  return (socket) => {
    let seen: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => socket.destroy(), SNIFF_TIMEOUT_MS);
    timer.unref();
    const done = (route: (s: net.Socket) => void) => {
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("error", onError);
      socket.off("end", onEnd);
      socket.pause();
      socket.unshift(seen);
      route(socket);
      // The HTTP/1 server reads through 'data' listeners; a socket paused by us would stay paused.
      if (route === routes.http1) socket.resume();
    };
    const onData = (chunk: Buffer) => {
      seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
      const n = Math.min(seen.length, PREFACE.length);
      if (seen.subarray(0, n).equals(PREFACE.subarray(0, n))) {
        if (n === PREFACE.length) done(routes.http2);
        // else: a strict prefix of the preface so far; wait for more bytes
      } else {
        done(routes.http1);
      }
    };
    const onError = () => socket.destroy();
    const onEnd = () => socket.destroy();
    socket.on("data", onData);
    socket.on("error", onError);
    socket.on("end", onEnd);
  };
}
