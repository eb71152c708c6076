/**
 * MCP benchmark (`npm run perf`): requests/s of a one-token generate at 1 and 16 in flight on one connection,
 * beside a raw Node TCP length-prefixed echo with the same traffic shape (one request message of the OPEN frame's
 * size, two reply messages of the DATA and END frames' sizes, each parsed on both sides), measured in the same run.
 *
 * Two processes: this one is the client / load loop, a child (server-proc.ts) runs the MCP server with the synthetic
 * engine and the echo server. When `taskset` exists the server is pinned to core 0 and this process re-runs itself
 * pinned to core 1. Rounds interleave echo and MCP (echo, mcp, echo, mcp, ...) and each figure is the median of the
 * rounds; every window is bounded (BENCH_MS, default 2000 ms after a 300 ms warm-up; BENCH_ROUNDS, default 3).
 * Server CPU per request is the child's `process.cpuUsage()` over the window divided by the requests completed.
 *
 * `npm run perf` compiles and runs dist (what production runs); `node --import tsx src/bench/run.ts` runs the
 * sources. Env: BENCH_MS, BENCH_ROUNDS, BENCH_LEVELS ("1,16"), BENCH_ONLY ("mcp" | "echo"), BENCH_PROF (a directory: both
 * processes run with `--cpu-prof` into it).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { clone, create, toBinary } from "@bufbuild/protobuf";
import { GenerateRequestSchema, GenerateResponseSchema, type InferenceClient } from "@modelwire/core";
import { backgroundContext, createSyntheticEngine } from "@modelwire/engine";
import { HEADER_SIZE } from "@modelwire/mcp-codec";
import { createMcpClient } from "../index.js";
import { encodeInferenceRequest } from "../inference-request.js";
import { connectEcho } from "./echo.js";

const MS = Math.min(Number(process.env.BENCH_MS ?? 2000), 20_000);
const WARM_MS = 300;
const ROUNDS = Math.min(Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3)), 9);
const LEVELS = (process.env.BENCH_LEVELS ?? "1,16").split(",").map(Number);
const ONLY = process.env.BENCH_ONLY;
const PROF = process.env.BENCH_PROF;
const TSX = import.meta.url.endsWith(".ts");
const EXT = TSX ? ".ts" : ".js";
const here = (f: string) => fileURLToPath(new URL(f + EXT, import.meta.url));
const hasTaskset = spawnSync("taskset", ["-c", "0", "true"]).status === 0;

/** Node arguments for a sibling script: compiled `.js` from dist runs as is, `.ts` (run through tsx) with tsx. */
function nodeArgs(script: string): string[] {
  return [...(PROF ? ["--cpu-prof", `--cpu-prof-dir=${PROF}`] : []), ...(TSX ? ["--import", "tsx"] : []), script];
}

/** Re-runs this script pinned to core 1 (the server child gets core 0). */
function pinSelf(): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn("taskset", ["-c", "1", process.execPath, ...nodeArgs(here("./run"))], {
      stdio: "inherit",
      env: { ...process.env, BENCH_PINNED: "1" },
    });
    child.on("exit", (code) => resolve(code ?? 1));
  });
}

class Server {
  private waiters = new Map<string, (m: Record<string, unknown>) => void>();
  private seq = 0;
  constructor(readonly child: ChildProcess) {
    child.on("message", (m: Record<string, unknown>) => {
      const key = m.cmd === "cpu" ? `cpu:${m.id}` : String(m.cmd);
      const w = this.waiters.get(key);
      this.waiters.delete(key);
      w?.(m);
    });
  }
  request(msg: Record<string, unknown>, key = String(msg.cmd)): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server child did not answer ${key}`)), 30_000);
      this.waiters.set(key, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      if (msg.cmd !== "ready") this.child.send(msg);
    });
  }
  async cpuUs(): Promise<number> {
    const id = ++this.seq;
    return (await this.request({ cmd: "cpu", id }, `cpu:${id}`)).us as number;
  }
}

function startServer(): Server {
  const args = nodeArgs(here("./server-proc"));
  const child = hasTaskset
    ? spawn("taskset", ["-c", "0", process.execPath, ...args], { stdio: ["ignore", "inherit", "inherit", "ipc"] })
    : spawn(process.execPath, args, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  return new Server(child);
}

const REQ = create(GenerateRequestSchema, { model: "synthetic:latest", prompt: "hi", options: { numPredict: 1 } });

async function mcpRun(client: InferenceClient, inFlight: number, ms: number): Promise<number> {
  const end = performance.now() + ms;
  let done = 0;
  const worker = async () => {
    while (performance.now() < end) {
      let tokens = 0;
      for await (const c of client.generate(REQ)) if (!c.done) tokens++;
      if (tokens !== 1) throw new Error(`expected one token, got ${tokens}`);
      done++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return done;
}

/** Wire sizes of the one-token generate exchange: OPEN frame, then DATA and END frames (headers included). */
async function exchangeSizes(): Promise<{ open: number; data: number; end: number }> {
  const inner = clone(GenerateRequestSchema, REQ);
  inner.model = "";
  const body = encodeInferenceRequest(REQ.model, toBinary(GenerateRequestSchema, inner), undefined);
  const engine = createSyntheticEngine({ tokens: 1 });
  const chunks = [];
  for await (const c of engine.generate(REQ, backgroundContext())) chunks.push(c);
  const [data, end] = chunks.map((c) => HEADER_SIZE + toBinary(GenerateResponseSchema, c).length);
  return { open: HEADER_SIZE + 8 + body.length, data, end };
}

interface Figure {
  rps: number;
  serverUs: number;
  clientUs: number;
  /** Bytes per request sent and received by the client in the window. */
  bytesOut: number;
  bytesIn: number;
}

async function measure(
  server: Server,
  run: (ms: number) => Promise<number>,
  bytes: () => [number, number],
): Promise<Figure> {
  await run(WARM_MS);
  const s0 = await server.cpuUs();
  const b0 = bytes();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const n = await run(MS);
  const secs = (performance.now() - t0) / 1000;
  const c1 = process.cpuUsage(c0);
  const b1 = bytes();
  const s1 = await server.cpuUs();
  return {
    rps: n / secs,
    serverUs: (s1 - s0) / n,
    clientUs: (c1.user + c1.system) / n,
    bytesOut: (b1[0] - b0[0]) / n,
    bytesIn: (b1[1] - b0[1]) / n,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function main() {
  const server = startServer();
  const ready = await server.request({ cmd: "ready" });
  const sizes = await exchangeSizes();
  const echoPort = (await server.request({ cmd: "echo", replySizes: [sizes.data, sizes.end] })).port as number;
  const echo = await connectEcho(echoPort, sizes.open, 2);
  const client = createMcpClient({ url: ready.url as string });
  await client.version();

  console.log("MCP one-token generate vs raw TCP length-prefixed echo, one connection each, loopback");
  console.log(
    `server process ${hasTaskset ? "pinned to core 0, client to core 1 (taskset)" : "and client unpinned (no taskset)"}; ` +
      `${ROUNDS} interleaved rounds × ${MS} ms (after ${WARM_MS} ms warm-up), medians`,
  );
  console.log(
    `per request, both: 1 message of ${sizes.open} B client→server, 2 messages of ${sizes.data} B + ${sizes.end} B back`,
  );
  const results: Record<string, unknown>[] = [];
  const rows: string[] = [];
  for (const inFlight of LEVELS) {
    const e: Figure[] = [];
    const m: Figure[] = [];
    const echoBytes = (): [number, number] => [echo.bytesOut, echo.bytesIn];
    const mcpBytes = (): [number, number] => {
      const x = client.stats().extra as { bytesIn: number; bytesOut: number };
      return [x.bytesOut, x.bytesIn];
    };
    for (let r = 0; r < ROUNDS; r++) {
      if (ONLY !== "mcp") e.push(await measure(server, (ms) => echo.run(inFlight, ms), echoBytes));
      if (ONLY !== "echo") m.push(await measure(server, (ms) => mcpRun(client, inFlight, ms), mcpBytes));
    }
    const pick = (fs: Figure[], k: keyof Figure) => (fs.length ? median(fs.map((f) => f[k])) : Number.NaN);
    const row = {
      inFlight,
      echoRps: pick(e, "rps"),
      mcpRps: pick(m, "rps"),
      ratio: pick(m, "rps") / pick(e, "rps"),
      echoServerUs: pick(e, "serverUs"),
      mcpServerUs: pick(m, "serverUs"),
      echoClientUs: pick(e, "clientUs"),
      mcpClientUs: pick(m, "clientUs"),
      echoRounds: e.map((f) => Math.round(f.rps)),
      mcpRounds: m.map((f) => Math.round(f.rps)),
      echoBytesPerReq: [pick(e, "bytesOut"), pick(e, "bytesIn")],
      mcpBytesPerReq: [pick(m, "bytesOut"), pick(m, "bytesIn")],
    };
    results.push(row);
    const f = (x: number, w: number, d = 0) => (Number.isNaN(x) ? "-" : x.toFixed(d)).padStart(w);
    rows.push(
      `${f(inFlight, 9)} | ${f(row.echoRps, 10)} | ${f(row.mcpRps, 9)} | ${f(row.ratio, 7, 2)}x | ` +
        `${f(row.echoServerUs, 11, 2)} | ${f(row.mcpServerUs, 10, 2)} | ${f(row.echoClientUs, 11, 2)} | ${f(row.mcpClientUs, 10, 2)}`,
    );
  }
  console.log("in-flight | echo req/s | mcp req/s | mcp/echo | echo srv µs | mcp srv µs | echo cli µs | mcp cli µs");
  for (const r of rows) console.log(r);
  console.log("(srv/cli µs = CPU time of the server / client process per request, user + system)");
  for (const r of results) {
    const b = (x: unknown) => (x as number[]).map((v) => v.toFixed(1)).join(" out / ");
    console.log(
      `bytes per request at ${r.inFlight} in flight: echo ${b(r.echoBytesPerReq)} in, mcp ${b(r.mcpBytesPerReq)} in`,
    );
  }
  console.log(JSON.stringify({ bench: "mcp-vs-echo", ms: MS, rounds: ROUNDS, pinned: hasTaskset, sizes, results }));
  echo.close();
  await client.close();
  const exited = new Promise<void>((r) => server.child.once("exit", () => r()));
  server.child.send({ cmd: "stop" });
  const kill = setTimeout(() => server.child.kill(), 5000);
  await exited;
  clearTimeout(kill);
}

if (hasTaskset && !process.env.BENCH_PINNED) {
  process.exitCode = await pinSelf();
} else {
  await main();
}
