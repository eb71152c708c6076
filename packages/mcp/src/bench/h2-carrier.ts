/**
 * HTTP/2 carrier benchmark (`npm run perf:h2`): is it worth carrying MCP (Model Communication Protocol) frames over
 * an HTTP/2 stream? It measures the carrier alone, without MCP: the same length-prefixed echo (duplex-echo.ts) with
 * the traffic shape of a one-token MCP generate (1 message of 56 B client→server, 2 of 58 B + 80 B back) over
 *  - `tcp`: a raw TCP connection (the floor),
 *  - `h2-stream`: ONE long-lived bidirectional HTTP/2 stream over h2c (POST /mcp, `endStream: false`), requests
 *    pipelined on it — what MCP-over-h2 would be,
 *  - `h2-per-req`: one HTTP/2 stream per request (POST /rpc, request body then END_STREAM; the reply then
 *    END_STREAM) — the per-stream cost gRPC pays (without its trailers and 5-byte message prefix),
 * each on its own connection, at 1 and 16 requests in flight.
 *
 * Process layout as run.ts: a child (h2-carrier-server.ts) runs both servers pinned to core 0, this process re-runs
 * itself pinned to core 1 (when `taskset` exists). Rounds interleave the carriers (tcp, h2-stream, h2-per-req, tcp,
 * ...), each window bounded (BENCH_MS, default 2000 ms after a 300 ms warm-up; BENCH_ROUNDS, default 3) and each
 * figure is the median of the rounds. Server/client CPU per request is each process's `process.cpuUsage()` over the
 * window divided by the requests completed; bytes per request are the client sockets' bytesWritten / bytesRead.
 * Any missing, extra or malformed echo reply, or a carrier failure, exits non-zero instead of printing a figure.
 *
 * Env: BENCH_MS, BENCH_ROUNDS, BENCH_LEVELS ("1,16"), BENCH_H2_WINDOW (bytes: initial stream window both h2 peers
 * advertise, and their connection window; default: Node's 65535), BENCH_CARRIERS ("h2-stream,h2-per-req"; tcp
 * always runs), BENCH_PROF (a directory: both processes run with `--cpu-prof` into it).
 */
import { type ClientHttp2Session, type ClientHttp2Stream, connect as h2connect } from "node:http2";
import { connect, type Socket } from "node:net";
import { createPerRequestEchoDriver, createStreamEchoDriver, type EchoDriver } from "./duplex-echo.js";
import {
  type Figure,
  hasTaskset,
  measureWindow,
  median,
  pinSelf,
  type ServerChild,
  shouldPinSelf,
  startServerChild,
} from "./harness.js";

const MS = Math.min(Math.max(100, Number(process.env.BENCH_MS ?? 2000)), 20_000);
const WARM_MS = 300;
const ROUNDS = Math.min(Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3)), 9);
const LEVELS = (process.env.BENCH_LEVELS ?? "1,16").split(",").map(Number);
const ONLY = process.env.BENCH_CARRIERS?.split(",");
const WINDOW = process.env.BENCH_H2_WINDOW ? Number(process.env.BENCH_H2_WINDOW) : undefined;
/** The one-token MCP generate exchange: OPEN frame out, DATA and END frames back (headers included). */
const REQUEST_SIZE = 56;
const REPLY_SIZES = [58, 80];

if (LEVELS.some((l) => !Number.isInteger(l) || l < 1 || l > 1024)) throw new RangeError("BENCH_LEVELS: 1..1024");
if (WINDOW !== undefined && !(Number.isInteger(WINDOW) && WINDOW >= 65535 && WINDOW <= 2 ** 31 - 1)) {
  throw new RangeError("BENCH_H2_WINDOW: an integer in 65535..2^31-1");
}

async function tcpSocket(port: number): Promise<Socket> {
  const s = connect({ host: "127.0.0.1", port });
  s.setNoDelay(true);
  await new Promise<void>((r, j) => {
    s.once("connect", () => r());
    s.once("error", j);
  });
  return s;
}

/** An h2c session on a socket of our own (so its bytes can be read), with the large windows if asked. */
async function h2Session(port: number): Promise<{ session: ClientHttp2Session; socket: Socket }> {
  let socket: Socket | undefined;
  const session = h2connect(`http://127.0.0.1:${port}`, {
    ...(WINDOW ? { settings: { initialWindowSize: WINDOW } } : {}),
    createConnection: () => {
      socket = connect({ host: "127.0.0.1", port });
      socket.setNoDelay(true);
      return socket;
    },
  });
  await new Promise<void>((r, j) => {
    session.once("connect", () => r());
    session.once("error", j);
  });
  session.on("error", (e) => {
    console.error("h2 session error:", e);
    process.exitCode = 1;
  });
  if (WINDOW) session.setLocalWindowSize(WINDOW);
  return { session, socket: socket! };
}

/** Opens a POST stream and fails unless the server answers `:status 200`. */
function post(session: ClientHttp2Session, path: string): ClientHttp2Stream {
  const s = session.request({ ":method": "POST", ":path": path }, { endStream: false });
  s.once("response", (h) => {
    if (h[":status"] !== 200) s.destroy(new Error(`${path} answered :status ${h[":status"]}`));
  });
  return s;
}

interface Carrier {
  name: string;
  driver: EchoDriver;
  socket: Socket;
  close(): void;
}

async function carriers(tcpPort: number, h2Port: number): Promise<Carrier[]> {
  const tcp = await tcpSocket(tcpPort);
  const a = await h2Session(h2Port);
  const stream = post(a.session, "/mcp");
  await new Promise<void>((r, j) => {
    stream.once("response", (h) => (h[":status"] === 200 ? r() : j(new Error(`/mcp answered ${h[":status"]}`))));
    stream.once("error", j);
  });
  const b = await h2Session(h2Port);
  const all: Carrier[] = [
    { name: "tcp", driver: createStreamEchoDriver(tcp, REQUEST_SIZE, REPLY_SIZES), socket: tcp, close: () => {} },
    {
      name: "h2-stream",
      driver: createStreamEchoDriver(stream, REQUEST_SIZE, REPLY_SIZES),
      socket: a.socket,
      close: () => a.session.destroy(),
    },
    {
      name: "h2-per-req",
      driver: createPerRequestEchoDriver(() => post(b.session, "/rpc"), REQUEST_SIZE, REPLY_SIZES),
      socket: b.socket,
      close: () => b.session.destroy(),
    },
  ];
  // tcp always runs: it is the floor every ratio is taken against.
  return all.filter((c) => c.name === "tcp" || !ONLY || ONLY.includes(c.name));
}

async function measure(server: ServerChild, c: Carrier, inFlight: number): Promise<Figure> {
  const fig = await measureWindow(
    server,
    (ms) => c.driver.run(inFlight, ms),
    () => [c.socket.bytesWritten, c.socket.bytesRead],
    MS,
    WARM_MS,
  );
  if (!(fig.rps > 0)) throw new Error(`${c.name}: no request completed`);
  return fig;
}

const f = (x: number, w: number, d = 0) => x.toFixed(d).padStart(w);

async function main(server: ServerChild) {
  await server.request({ cmd: "ready" });
  const ports = await server.request({ cmd: "start", replySizes: REPLY_SIZES, window: WINDOW });
  const cs = await carriers(ports.tcpPort as number, ports.h2Port as number);
  try {
    console.log(
      "Carrier cost: length-prefixed echo over raw TCP vs one HTTP/2 stream vs one HTTP/2 stream per request",
    );
    console.log(
      `server ${hasTaskset ? "pinned to core 0, client to core 1 (taskset)" : "and client unpinned (no taskset)"}; ` +
        `${ROUNDS} interleaved rounds × ${MS} ms (after ${WARM_MS} ms warm-up), medians; h2c windows: ` +
        `${WINDOW ? `${WINDOW} B stream + connection` : "Node defaults (65535 B)"}`,
    );
    console.log(
      `per request: 1 message of ${REQUEST_SIZE} B client→server, ${REPLY_SIZES.length} messages of ` +
        `${REPLY_SIZES.join(" B + ")} B back (the one-token MCP generate), each reply checked`,
    );
    const results: Record<string, unknown>[] = [];
    for (const inFlight of LEVELS) {
      const figs = new Map<string, Figure[]>(cs.map((c) => [c.name, []]));
      for (let r = 0; r < ROUNDS; r++) for (const c of cs) figs.get(c.name)!.push(await measure(server, c, inFlight));
      const pick = (name: string, k: keyof Figure) => median(figs.get(name)!.map((x) => x[k]));
      const tcpRps = pick("tcp", "rps");
      for (const c of cs) {
        results.push({
          inFlight,
          carrier: c.name,
          rps: pick(c.name, "rps"),
          vsTcp: pick(c.name, "rps") / tcpRps,
          serverUs: pick(c.name, "serverUs"),
          clientUs: pick(c.name, "clientUs"),
          bytesOut: pick(c.name, "bytesOut"),
          bytesIn: pick(c.name, "bytesIn"),
          rounds: figs.get(c.name)!.map((x) => Math.round(x.rps)),
        });
      }
    }
    console.log("in-flight | carrier    |    req/s | vs tcp | srv µs/req | cli µs/req | B/req out | B/req in | rounds");
    for (const r of results) {
      const n = (k: string) => r[k] as number;
      console.log(
        `${f(n("inFlight"), 9)} | ${String(r.carrier).padEnd(10)} | ${f(n("rps"), 8)} | ${f(n("vsTcp"), 5, 2)}x | ` +
          `${f(n("serverUs"), 10, 2)} | ${f(n("clientUs"), 10, 2)} | ${f(n("bytesOut"), 9, 1)} | ` +
          `${f(n("bytesIn"), 8, 1)} | ${(r.rounds as number[]).join(" ")}`,
      );
    }
    console.log("(srv/cli µs = CPU time of the server / client process per request, user + system; B = client socket)");
    console.log(
      JSON.stringify({ bench: "h2-carrier", ms: MS, rounds: ROUNDS, pinned: hasTaskset, window: WINDOW, results }),
    );
  } finally {
    for (const c of cs) {
      c.driver.close();
      c.close();
    }
  }
}

async function runClient(): Promise<number> {
  const server = startServerChild("h2-carrier-server");
  const exited = new Promise<number>((r) => server.child.once("exit", (code) => r(code ?? 1)));
  server.child.on("error", (e) => console.error("server child:", e.message));
  let failed = false;
  try {
    await main(server);
  } catch (e) {
    console.error("h2-carrier benchmark failed:", e);
    failed = true;
  }
  if (server.child.connected && server.child.exitCode === null) server.child.send({ cmd: "stop" });
  const kill = setTimeout(() => server.child.kill(), 5000);
  await exited;
  clearTimeout(kill);
  return failed || process.exitCode ? 1 : 0;
}

if (shouldPinSelf) {
  process.exitCode = await pinSelf("h2-carrier");
} else {
  process.exitCode = await runClient();
}
