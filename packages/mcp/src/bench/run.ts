/**
 * MCP benchmark (`npm run perf`): requests/s of a one-token generate at 1 and 16 in flight on one connection, on
 * three paths measured in the same run: a raw Node TCP length-prefixed echo with the same traffic shape (one request
 * message of the OPEN frame's size, two reply messages of the DATA and END frames' sizes, each parsed on both
 * sides), the MCP server on the bare synthetic engine, and the shipped gateway path (`modelwire serve` with MCP
 * only, in the server process: admission guard, draining wrapper and Prometheus metrics observer around the same
 * engine; needs the built @modelwire/server).
 *
 * Two processes: this one is the client / load loop, a child (server-proc.ts) runs the servers. When `taskset`
 * exists the server is pinned to core 0 and this process re-runs itself pinned to core 1. Rounds interleave the
 * paths (echo, mcp, gateway, echo, ...) and each figure is the median of the rounds; every window is bounded
 * (BENCH_MS, default 2000 ms after a 300 ms warm-up; BENCH_ROUNDS, default 3). Server CPU per request is the
 * child's `process.cpuUsage()` over the window divided by the requests completed.
 *
 * `npm run perf` compiles the package with tsc as the build does (into dist-bench, which is not published) and
 * runs that, the JavaScript production runs; `node --import tsx src/bench/run.ts` runs the
 * sources. Env: BENCH_MS, BENCH_ROUNDS, BENCH_LEVELS ("1,16"), BENCH_PATHS ("echo,mcp,gateway"; BENCH_ONLY=mcp or
 * echo is the older spelling of one path), BENCH_SERVER_BATCH / BENCH_CLIENT_BATCH (the frame-writer batch sizes,
 * `writeBatchFrames`, of the bare MCP path's server and client; defaults 8 and 4; `npm run perf:batch` sweeps them),
 * BENCH_PROF (a directory: both processes run with `--cpu-prof` into it).
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
type Path = "echo" | "mcp" | "gateway";
const PATHS = (process.env.BENCH_PATHS ?? process.env.BENCH_ONLY ?? "echo,mcp,gateway")
  .split(",")
  .filter((p): p is Path => p === "echo" || p === "mcp" || p === "gateway");
const SERVER_BATCH = process.env.BENCH_SERVER_BATCH;
const CLIENT_BATCH = process.env.BENCH_CLIENT_BATCH;
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

const clientBytes = (client: InferenceClient) => (): [number, number] => {
  const x = client.stats().extra as { bytesIn: number; bytesOut: number };
  return [x.bytesOut, x.bytesIn];
};

async function main() {
  const server = startServerChild("server-proc");
  const ready = await server.request({ cmd: "ready" });
  const sizes = await exchangeSizes();
  const echoPort = (await server.request({ cmd: "echo", replySizes: [sizes.data, sizes.end] })).port as number;
  const echo = await connectEcho(echoPort, sizes.open, 2);
  const client = createMcpClient({
    url: ready.url as string,
    ...(CLIENT_BATCH !== undefined ? { writeBatchFrames: Number(CLIENT_BATCH) } : {}),
  });
  await client.version();
  let gateway: InferenceClient | undefined;
  if (PATHS.includes("gateway")) {
    const g = await server.request({ cmd: "gateway" });
    if (g.error !== undefined) throw new Error(String(g.error));
    gateway = createMcpClient({ url: g.url as string });
    await gateway.version();
  }

  console.log("MCP one-token generate vs raw TCP length-prefixed echo, one connection each, loopback");
  console.log(
    `server process ${hasTaskset ? "pinned to core 0, client to core 1 (taskset)" : "and client unpinned (no taskset)"}; ` +
      `${ROUNDS} interleaved rounds × ${MS} ms (after ${WARM_MS} ms warm-up), medians`,
  );
  console.log(
    `per request, all: 1 message of ${sizes.open} B client→server, 2 messages of ${sizes.data} B + ${sizes.end} B back`,
  );
  console.log(
    "paths: echo = raw TCP; mcp = MCP server on the bare synthetic engine" +
      (SERVER_BATCH || CLIENT_BATCH
        ? ` (writeBatchFrames: server ${SERVER_BATCH ?? "default"}, client ${CLIENT_BATCH ?? "default"})`
        : "") +
      "; gateway = modelwire serve's MCP path (guard + admission + draining + metrics)",
  );
  const results: Record<string, unknown>[] = [];
  const rows: string[] = [];
  const f = (x: number, w: number, d = 0) => (Number.isNaN(x) ? "-" : x.toFixed(d)).padStart(w);
  for (const inFlight of LEVELS) {
    const figs: Record<Path, Figure[]> = { echo: [], mcp: [], gateway: [] };
    for (let r = 0; r < ROUNDS; r++) {
      for (const p of PATHS) {
        if (p === "echo")
          figs.echo.push(
            await measure(
              server,
              (ms) => echo.run(inFlight, ms),
              () => [echo.bytesOut, echo.bytesIn],
            ),
          );
        else {
          const c = p === "mcp" ? client : (gateway as InferenceClient);
          figs[p].push(await measure(server, (ms) => mcpRun(c, inFlight, ms), clientBytes(c)));
        }
      }
    }
    const pick = (p: Path, k: keyof Figure) => (figs[p].length ? median(figs[p].map((x) => x[k])) : Number.NaN);
    const row: Record<string, unknown> = { inFlight };
    for (const p of ["echo", "mcp", "gateway"] as const) {
      row[`${p}Rps`] = pick(p, "rps");
      row[`${p}ServerUs`] = pick(p, "serverUs");
      row[`${p}ClientUs`] = pick(p, "clientUs");
      row[`${p}Rounds`] = figs[p].map((x) => Math.round(x.rps));
      row[`${p}BytesPerReq`] = [pick(p, "bytesOut"), pick(p, "bytesIn")];
    }
    row.ratio = pick("mcp", "rps") / pick("echo", "rps");
    row.gatewayRatio = pick("gateway", "rps") / pick("echo", "rps");
    results.push(row);
    for (const p of PATHS) {
      rows.push(
        `${f(inFlight, 9)} | ${p.padEnd(7)} | ${f(pick(p, "rps"), 9)} | ${f(pick(p, "rps") / pick("echo", "rps"), 6, 2)}x | ` +
          `${f(pick(p, "serverUs"), 9, 2)} | ${f(pick(p, "clientUs"), 9, 2)} | ${figs[p].map((x) => Math.round(x.rps)).join(" ")}`,
      );
    }
  }
  console.log("in-flight | path    |     req/s | vs echo |    srv µs |    cli µs | rounds (req/s)");
  for (const r of rows) console.log(r);
  console.log("(srv/cli µs = CPU time of the server / client process per request, user + system)");
  for (const r of results) {
    const b = (x: unknown) => (x as number[]).map((v) => v.toFixed(1)).join(" out / ");
    console.log(
      `bytes per request at ${r.inFlight} in flight: ` +
        PATHS.map((p) => `${p} ${b(r[`${p}BytesPerReq`])} in`).join(", "),
    );
  }
  console.log(
    JSON.stringify({
      bench: "mcp-vs-echo",
      ms: MS,
      rounds: ROUNDS,
      pinned: hasTaskset,
      paths: PATHS,
      batch: { server: SERVER_BATCH ?? null, client: CLIENT_BATCH ?? null },
      sizes,
      results,
    }),
  );
  echo.close();
  await client.close();
  await gateway?.close();
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
