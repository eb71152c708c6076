import { connect, type Socket } from "node:net";

/** What a raw exchange saw: the status, headers, body, and whether the server closed the socket. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The server closed the connection (rather than the test's own timeout ending the wait). */
  closedByServer: boolean;
  /** Milliseconds from the first byte sent to the end of the exchange. */
  elapsedMs: number;
  /** How many of the parts had been written when the exchange ended. */
  partsSent: number;
  /** Everything the server sent. */
  raw: string;
}

/**
 * Sends `parts` over a fresh TCP connection, pausing `gapMs` between parts (a trickle), and reads until the
 * server closes or `waitMs` passes. Parses the first HTTP response (Content-Length or chunked, or up to close).
 */
export async function rawExchange(
  url: string,
  parts: Array<string | Buffer>,
  { gapMs = 0, waitMs = 10_000, stopAfterResponse = true } = {},
): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  const socket: Socket = connect({ host: hostname, port: Number(port) });
  socket.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const start = Date.now();
  let data = Buffer.alloc(0);
  let closedByServer = false;
  let partsSent = 0;
  const done = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, waitMs);
    socket.on("data", (d: Buffer) => {
      data = Buffer.concat([data, d]);
      if (stopAfterResponse && parse(data)?.complete) {
        clearTimeout(timer);
        resolve();
      }
    });
    socket.on("close", () => {
      closedByServer = true;
      clearTimeout(timer);
      resolve();
    });
  });
  (async () => {
    for (const p of parts) {
      if (socket.destroyed) return;
      socket.write(p);
      partsSent++;
      if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
    }
  })().catch(() => {});
  await done;
  // Give a server that answers-and-closes a moment to close.
  if (!closedByServer && !stopAfterResponse) socket.destroy();
  const elapsedMs = Date.now() - start;
  const sent = partsSent;
  const parsed = parse(data);
  if (stopAfterResponse && parsed?.complete && !closedByServer) {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 300);
      socket.once("close", () => {
        closedByServer = true;
        clearTimeout(t);
        resolve();
      });
    });
  }
  socket.destroy();
  if (!parsed)
    return {
      status: 0,
      headers: {},
      body: data.toString(),
      closedByServer,
      elapsedMs,
      partsSent: sent,
      raw: data.toString(),
    };
  return {
    status: parsed.status,
    headers: parsed.headers,
    body: parsed.body,
    closedByServer,
    elapsedMs,
    partsSent: sent,
    raw: data.toString(),
  };
}

function parse(data: Buffer) {
  const end = data.indexOf("\r\n\r\n");
  if (end === -1) return undefined;
  const head = data.subarray(0, end).toString("latin1").split("\r\n");
  const status = Number(head[0].split(" ")[1]);
  const headers: Record<string, string> = {};
  for (const line of head.slice(1)) {
    const i = line.indexOf(":");
    headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  const rest = data.subarray(end + 4);
  if (headers["content-length"] !== undefined) {
    const n = Number(headers["content-length"]);
    return { status, headers, body: rest.subarray(0, n).toString(), complete: rest.length >= n };
  }
  if (headers["transfer-encoding"] === "chunked") {
    let body = "";
    let o = 0;
    while (true) {
      const nl = rest.indexOf("\r\n", o);
      if (nl === -1) return { status, headers, body, complete: false };
      const size = Number.parseInt(rest.subarray(o, nl).toString(), 16);
      if (size === 0) return { status, headers, body, complete: true };
      body += rest.subarray(nl + 2, nl + 2 + size).toString();
      o = nl + 2 + size + 2;
    }
  }
  return { status, headers, body: rest.toString(), complete: false };
}
