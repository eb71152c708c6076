/**
 * The server process of the HTTP/2 carrier benchmark (started by h2-carrier.ts over IPC). Once told the reply sizes
 * it runs the same duplex echo (duplex-echo.ts) on a raw TCP server and on an h2c server, where every POST stream
 * to `/mcp` (one long-lived stream) or `/rpc` (one stream per request) is answered with `:status 200` (at once on
 * `/mcp`, with the first reply on `/rpc`) and echoed on; the server ends its side when the client ends its own.
 * It answers `cpu` with `process.cpuUsage()`. With `window` set, the h2 server advertises that initial stream
 * window and raises its connection window to it.
 */
import { createServer as createH2Server, type Http2Session, type ServerHttp2Stream } from "node:http2";
import type { Socket } from "node:net";
import { attachEchoResponder } from "./duplex-echo.js";
import { startEchoServer } from "./echo.js";

type Command = { cmd: "start"; replySizes: number[]; window?: number } | { cmd: "cpu"; id: number } | { cmd: "stop" };

const send = (m: unknown) => process.send?.(m);
const listen = (s: { listen(port: number, host: string, cb: () => void): unknown; address(): unknown }) =>
  new Promise<number>((r) => s.listen(0, "127.0.0.1", () => r((s.address() as { port: number }).port)));

async function start(replySizes: number[], window: number | undefined) {
  const tcp = await startEchoServer(replySizes);
  const sessions = new Set<Http2Session>();
  const h2 = createH2Server(window ? { settings: { initialWindowSize: window } } : {});
  h2.on("connection", (s: Socket) => s.setNoDelay(true));
  h2.on("session", (session: Http2Session) => {
    sessions.add(session);
    session.on("error", () => {});
    session.on("close", () => sessions.delete(session));
    if (window) session.setLocalWindowSize(window);
  });
  h2.on("stream", (stream: ServerHttp2Stream, headers) => {
    stream.on("error", () => {});
    const path = headers[":path"];
    if (headers[":method"] !== "POST" || (path !== "/mcp" && path !== "/rpc")) {
      stream.respond({ ":status": 404 }, { endStream: true });
      return;
    }
    // The long-lived stream answers at once (the client waits for it before sending); a per-request stream answers
    // with its first reply, so headers, reply and END_STREAM leave in one tick (as a gRPC server does).
    const respond = () => stream.respond({ ":status": 200 });
    if (path === "/mcp") respond();
    attachEchoResponder(stream, replySizes, path === "/mcp" ? undefined : respond);
    stream.on("end", () => {
      if (!stream.headersSent) respond();
      stream.end();
    });
  });
  const h2Port = await listen(h2);
  return {
    tcpPort: tcp.port,
    h2Port,
    async close() {
      for (const s of sessions) s.destroy();
      await Promise.all([tcp.close(), new Promise((r) => h2.close(r))]);
    },
  };
}

async function main() {
  let servers: Awaited<ReturnType<typeof start>> | undefined;
  process.on("message", async (m: Command) => {
    if (m.cmd === "start") {
      servers = await start(m.replySizes, m.window);
      send({ cmd: "start", tcpPort: servers.tcpPort, h2Port: servers.h2Port });
    } else if (m.cmd === "cpu") {
      const u = process.cpuUsage();
      send({ cmd: "cpu", id: m.id, us: u.user + u.system });
    } else if (m.cmd === "stop") {
      await servers?.close();
      process.disconnect();
    }
  });
  // The client process is gone (or done): never linger.
  process.on("disconnect", () => setTimeout(() => process.exit(0), 100).unref());
  send({ cmd: "ready" });
}

await main();
