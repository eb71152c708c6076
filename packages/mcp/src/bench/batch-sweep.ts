/**
 * Frame-writer batch sweep (`npm run perf:batch`): the MCP one-token generate of `npm run perf` (bench/run.ts, path
 * `mcp` beside its raw-TCP `echo` reference) once per `writeBatchFrames` pair, server and client. Rounds interleave
 * the pairs (round 1: every pair, round 2: every pair, ...), each run its own pair of processes, so the pairs share
 * the machine's drift; a figure is the median over the rounds, and `vs echo` divides by the echo of the same run.
 *
 * Env: BATCH_SERVER ("1,2,4,8,16,32", with the client at its default 4), BATCH_CLIENT ("1,2,4,8,16", with the
 * server at its default 8), BENCH_LEVELS (default "16": batching only matters with several requests in flight),
 * BENCH_MS (default 1000), BATCH_ROUNDS (default 3, at most 9). Bounded: pairs × rounds runs of about 4 s each.
 */
import { spawn } from "node:child_process";
import { median, nodeArgs } from "./harness.js";

const list = (v: string | undefined, d: string) =>
  (v ?? d)
    .split(",")
    .map(Number)
    .filter((n) => Number.isInteger(n) && n >= 1 && n <= 1024);
const SERVER = list(process.env.BATCH_SERVER, "1,2,4,8,16,32");
const CLIENT = list(process.env.BATCH_CLIENT, "1,2,4,8,16");
const ROUNDS = Math.min(Math.max(1, Number(process.env.BATCH_ROUNDS ?? 3)), 9);
const LEVELS = process.env.BENCH_LEVELS ?? "16";
const MS = process.env.BENCH_MS ?? "1000";

interface Pair {
  server: number;
  client: number;
}
interface Row {
  inFlight: number;
  mcpRps: number;
  echoRps: number;
  mcpServerUs: number;
  mcpClientUs: number;
}

const pairs: Pair[] = [
  ...SERVER.map((server) => ({ server, client: 4 })),
  ...CLIENT.filter((c) => c !== 4 || !SERVER.includes(8)).map((client) => ({ server: 8, client })),
];
const key = (p: Pair) => `${p.server}/${p.client}`;

/** One bench/run.ts run with the pair's batch sizes; its result rows, from the JSON line it prints last. */
function runOnce(p: Pair): Promise<Row[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, nodeArgs("run"), {
      stdio: ["ignore", "pipe", "inherit"],
      env: {
        ...process.env,
        BENCH_PATHS: "echo,mcp",
        BENCH_ROUNDS: "1",
        BENCH_LEVELS: LEVELS,
        BENCH_MS: MS,
        BENCH_SERVER_BATCH: String(p.server),
        BENCH_CLIENT_BATCH: String(p.client),
      },
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => {
      out += s;
    });
    child.on("exit", (code) => {
      const line = out.split("\n").find((l) => l.startsWith('{"bench":"mcp-vs-echo"'));
      if (code !== 0 || line === undefined) reject(new Error(`run.ts exited ${code} for batch ${key(p)}:\n${out}`));
      else resolve((JSON.parse(line) as { results: Row[] }).results);
    });
  });
}

const byPair = new Map<string, Row[][]>(pairs.map((p) => [key(p), []]));
console.log(
  `frame-writer batch sweep: ${pairs.length} (server/client) pairs × ${ROUNDS} interleaved rounds, ` +
    `${MS} ms windows, ${LEVELS} in flight, one-token generate (bench/run.ts paths echo + mcp)`,
);
for (let r = 0; r < ROUNDS; r++) {
  for (const p of pairs) byPair.get(key(p))?.push(await runOnce(p));
  console.log(`round ${r + 1}/${ROUNDS} done`);
}
console.log("in-flight | server/client batch |   req/s | vs echo |  srv µs |  cli µs | rounds (req/s)");
const f = (x: number, w: number, d = 0) => (Number.isNaN(x) ? "-" : x.toFixed(d)).padStart(w);
const summary: Record<string, unknown>[] = [];
for (const level of LEVELS.split(",").map(Number)) {
  for (const p of pairs) {
    const rows = (byPair.get(key(p)) ?? []).map((rs) => rs.find((x) => x.inFlight === level)).filter((x) => !!x);
    const pick = (k: keyof Row) => median(rows.map((x) => x[k]));
    const vsEcho = median(rows.map((x) => x.mcpRps / x.echoRps));
    summary.push({ inFlight: level, ...p, rps: pick("mcpRps"), vsEcho, serverUs: pick("mcpServerUs") });
    console.log(
      `${f(level, 9)} | ${key(p).padStart(19)} | ${f(pick("mcpRps"), 7)} | ${f(vsEcho, 6, 2)}x | ` +
        `${f(pick("mcpServerUs"), 7, 2)} | ${f(pick("mcpClientUs"), 7, 2)} | ${rows.map((x) => Math.round(x.mcpRps)).join(" ")}`,
    );
  }
}
console.log(JSON.stringify({ bench: "mcp-batch-sweep", ms: Number(MS), rounds: ROUNDS, summary }));
