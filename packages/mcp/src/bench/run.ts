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
import { clone, create, toBinary } from "@bufbuild/protobuf";
import { GenerateRequestSchema, GenerateResponseSchema, type InferenceClient } from "@modelwire/core";
import { backgroundContext, createSyntheticEngine } from "@modelwire/engine";
import { HEADER_SIZE } from "@modelwire/mcp-codec";
import { encodeInferenceRequest } from "@modelwire/mcp-codec/internal";
import { createMcpClient } from "../index.js";
import { connectEcho } from "./echo.js";
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

const MS = Math.min(Number(process.env.BENCH_MS ?? 2000), 20_000);
const WARM_MS = 300;
const ROUNDS = Math.min(Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3)), 9);
const LEVELS = (process.env.BENCH_LEVELS ?? "1,16").split(",").map(Number);
const ONLY = process.env.BENCH_ONLY;
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

const measure = (server: ServerChild, run: (ms: number) => Promise<number>, bytes: () => [number, number]) =>
  measureWindow(server, run, bytes, MS, WARM_MS);

async function main() {
  const server = startServerChild("server-proc");
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

if (shouldPinSelf) {
  process.exitCode = await pinSelf("run");
} else {
  await main();
}
