/**
 * The speed-gap benchmark: our connect-node gRPC server (with its unary fast path, and "stock" without it) against a
 * stock grpc-js server, and our connect-node gRPC client (fast path / stock) against the stock grpc-js client, side
 * by side in one run. Server and client run in separate processes,
 * pinned to cores 0 and 1 with `taskset` when it is available; N tiny unary calls (Version) are kept in flight for a
 * bounded time. When `h2load` (Debian `nghttp2-client`) is installed it also drives each server, as a load
 * generator nobody here wrote.
 *
 * The cells are run in interleaved rounds (every cell once per round) and each cell reports its median over the
 * rounds, so a burst of load from elsewhere on a shared machine hits all cells alike rather than one column.
 *
 * `--mode=stream` measures server-streaming instead: a Generate stream read to its end counts as one request, with
 * the zero-delay synthetic engine, for each token count of `--tokens` (default `1,16`); "stock" then means both of
 * our fast paths off, on the server and on the client.
 *
 * Usage: `npm run perf -- [--mode=unary|stream] [--tokens=1,16] [--duration=2000] [--rounds=3] [--concurrency=16]
 * [--warmup=500] [--cpu-prof=<dir>]`
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { create, toBinary } from "@bufbuild/protobuf";
import { clampTimerMs, GenerateRequestSchema } from "@modelwire/core";

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, "").split("=");
    return [k, v ?? "true"];
  }),
);
const durationMs = Math.min(Number(args.duration ?? 2_000), 30_000);
const rounds = Math.max(1, Math.min(Number(args.rounds ?? 3), 10));
const concurrency = Math.min(Number(args.concurrency ?? 16), 256);
const warmupMs = Math.min(Number(args.warmup ?? 500), 5_000);
const cpuProfDir = args["cpu-prof"];
const mode = args.mode ?? "unary";
if (mode !== "unary" && mode !== "stream") throw new Error(`--mode must be unary or stream, got ${mode}`);
const tokenCounts = String(args.tokens ?? "1,16")
  .split(",")
  .map((t) => Math.min(Math.max(0, Math.floor(Number(t))), 100_000))
  .filter((t) => Number.isFinite(t));

/** One kind of request the cells repeat. */
interface Workload {
  /** Printed title. */
  title: string;
  /** client-proc's workload argument. */
  arg: string;
  /** h2load's method path and request body file. */
  path: string;
  body: string;
}

const here = fileURLToPath(new URL(".", import.meta.url));
const hasTaskset = probe("taskset", ["-c", "0", "true"]);
const hasH2load = probe("h2load", ["--version"]);

function probe(cmd: string, argv: string[]): boolean {
  try {
    execFileSync(cmd, argv, { stdio: "ignore", timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

function pinned(core: number, cmd: string, argv: string[]): [string, string[]] {
  return hasTaskset ? ["taskset", ["-c", String(core), cmd, ...argv]] : [cmd, argv];
}

function nodeArgs(script: string, extra: string[], prof?: string): string[] {
  // One directory per process: tsx's loader thread writes its own profile, which a fixed file name would clobber.
  const profArgs = prof && cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${join(cpuProfDir, prof)}`] : [];
  return [...profArgs, "--import", "tsx", join(here, script), ...extra];
}

interface RunningServer {
  url: string;
  child: ChildProcess;
  /** The server process's CPU time so far, in microseconds. */
  cpu(): Promise<number>;
}

async function startServer(kind: string): Promise<RunningServer> {
  const [cmd, argv] = pinned(0, process.execPath, nodeArgs("server-proc.ts", [kind], `server-${kind}`));
  const child = spawn(cmd, argv, { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${kind} server did not start`)), 20_000);
    lines.once("line", (line) => {
      clearTimeout(timer);
      resolve(JSON.parse(line).url);
    });
    child.once("exit", (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
  const cpu = () =>
    new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${kind} server did not report its CPU time`)), 10_000);
      lines.once("line", (line) => {
        clearTimeout(timer);
        resolve(JSON.parse(line).cpuUs);
      });
      child.stdin!.write("cpu\n");
    });
  return { url, child, cpu };
}

async function stopServer(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once("exit", r));
  child.stdin?.end();
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

function collect(cmd: string, argv: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout!.on("data", (d) => (out += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), clampTimerMs(timeoutMs));
    child.once("exit", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} exited with ${code}: ${out.slice(-500)}`));
    });
  });
}

interface Result {
  rps: number;
  errors: number;
  /** Server CPU microseconds per request (≈ for h2load, whose warm-up requests are not counted). */
  serverUs?: number;
  /** Client CPU microseconds per request (our client processes only). */
  clientUs?: number;
  note?: string;
}

async function runClient(kind: string, url: string, serverKind: string, w: Workload): Promise<Result> {
  const [cmd, argv] = pinned(
    1,
    process.execPath,
    nodeArgs(
      "client-proc.ts",
      [kind, url, String(durationMs), String(concurrency), String(warmupMs), w.arg],
      `client-${kind}-vs-${serverKind}-${w.arg.replace(":", "")}`,
    ),
  );
  const out = await collect(cmd, argv, durationMs + warmupMs + 30_000);
  const r = JSON.parse(out.trim().split("\n").pop()!);
  return {
    rps: r.rps,
    errors: r.errors,
    clientUs: r.cpuUs / Math.max(1, r.total),
    note: r.firstError,
    total: r.total,
  } as Result;
}

const bodyDir = mkdtempSync(join(tmpdir(), "mw-bench-"));
function bodyFile(name: string, message: Uint8Array): string {
  const file = join(bodyDir, name);
  const env = Buffer.alloc(5 + message.length);
  env.writeUInt32BE(message.length, 1);
  env.set(message, 5);
  writeFileSync(file, env);
  return file;
}
const SERVICE = "/modelwire.v1.InferenceService";
const workloads: Workload[] =
  mode === "unary"
    ? [
        {
          title: "unary Version",
          arg: "unary",
          path: `${SERVICE}/Version`,
          body: bodyFile("version.grpc", new Uint8Array(0)),
        },
      ]
    : tokenCounts.map((n) => ({
        title: `server-streaming Generate, ${n} token${n === 1 ? "" : "s"} per stream (zero-delay engine)`,
        arg: `generate:${n}`,
        path: `${SERVICE}/Generate`,
        body: bodyFile(
          `generate-${n}.grpc`,
          toBinary(
            GenerateRequestSchema,
            create(GenerateRequestSchema, { model: "synthetic", prompt: "bench", options: { numPredict: n } }),
          ),
        ),
      }));

async function runH2load(url: string, w: Workload): Promise<Result> {
  const seconds = Math.max(1, Math.round(durationMs / 1000));
  const warm = Math.max(1, Math.round(warmupMs / 1000));
  const [cmd, argv] = pinned(1, "h2load", [
    "-c",
    "1",
    "-m",
    String(concurrency),
    "-D",
    String(seconds),
    `--warm-up-time=${warm}`,
    "-H",
    "content-type: application/grpc",
    "-H",
    "te: trailers",
    "-d",
    w.body,
    `${url}${w.path}`,
  ]);
  const out = await collect(cmd, argv, (seconds + warm) * 1000 + 30_000);
  const rps = Number(/finished in [\d.]+s, ([\d.]+) req\/s/.exec(out)?.[1] ?? Number.NaN);
  const failed = Number(/(\d+) failed/.exec(out)?.[1] ?? 0) + Number(/(\d+) errored/.exec(out)?.[1] ?? 0);
  return { rps, errors: failed, total: rps * (seconds + warm) } as Result;
}

const servers = ["connect", "connect-stock", "grpc-js"] as const;
const clients = ["connect", "connect-stock", "grpc-js"] as const;
const samples = new Map<string, Result[]>();
const wkey = (w: Workload, s: string, c: string) => `${w.arg}|${s}|${c}`;

console.log(
  `# ${workloads.map((w) => w.title).join("; ")}; ${concurrency} in flight, ${durationMs} ms per cell after ${warmupMs} ms warm-up, ${rounds} interleaved rounds (median); ` +
    `taskset: ${hasTaskset ? "servers core 0, clients core 1" : "unavailable"}; h2load: ${hasH2load ? "yes" : "not installed"}`,
);
const started: Array<{ kind: string } & RunningServer> = [];
try {
  for (const kind of servers) started.push({ kind, ...(await startServer(kind)) });
  for (let round = 0; round < rounds; round++) {
    for (const w of workloads) {
      for (const { kind, url, cpu } of started) {
        const cells: Array<[string, () => Promise<Result>]> = [];
        if (hasH2load) cells.push(["h2load", () => runH2load(url, w)]);
        for (const c of clients) cells.push([c, () => runClient(c, url, kind, w)]);
        for (const [c, run] of cells) {
          const list = samples.get(wkey(w, kind, c)) ?? [];
          const before = await cpu();
          const r = (await run()) as Result & { total: number };
          r.serverUs = ((await cpu()) - before) / Math.max(1, r.total);
          list.push(r);
          samples.set(wkey(w, kind, c), list);
        }
      }
    }
    process.stdout.write(`round ${round + 1}/${rounds} done\n`);
  }
} finally {
  for (const { child } of started) await stopServer(child);
}
const median = (list: Result[] | undefined): Result | undefined => {
  if (!list?.length) return undefined;
  const sorted = [...list].sort((a, b) => a.rps - b.rps);
  const mid = sorted[Math.floor(sorted.length / 2)];
  const med = (f: (r: Result) => number | undefined) => {
    const v = list
      .map(f)
      .filter((x): x is number => x !== undefined)
      .sort((a, b) => a - b);
    return v.length ? v[Math.floor(v.length / 2)] : undefined;
  };
  return {
    rps: mid.rps,
    errors: list.reduce((n, r) => n + r.errors, 0),
    serverUs: med((r) => r.serverUs),
    clientUs: med((r) => r.clientUs),
    note: list.find((r) => r.note)?.note,
  };
};
for (const w of workloads) {
  const rows: Array<{ server: string; client: string } & Result> = [];
  for (const s of servers) {
    for (const c of [...(hasH2load ? ["h2load"] : []), ...clients]) {
      const m = median(samples.get(wkey(w, s, c)));
      if (m) rows.push({ server: s, client: c, ...m });
    }
  }

  const cell = (s: string, c: string) => rows.find((r) => r.server === s && r.client === c);
  const fmt = (r: Result | undefined) => (r ? `${Math.round(r.rps)}${r.errors ? ` (${r.errors} err)` : ""}` : "-");
  const label: Record<string, string> = {
    connect: "ours (fast paths)",
    "connect-stock": "connect-node stock",
    "grpc-js": "grpc-js",
    h2load: "h2load",
  };
  const width = 28;
  console.log(
    `\n## ${w.title}\nrequests/s, median of ${rounds} (rows: client, columns: server)\n${"".padEnd(width)}${servers.map((s) => label[s].padStart(width)).join("")}`,
  );
  const rowNames = [...(hasH2load ? ["h2load"] : []), ...clients];
  for (const c of rowNames) {
    console.log(`${label[c].padEnd(width)}${servers.map((s) => fmt(cell(s, c)).padStart(width)).join("")}`);
  }
  const spread = (s: string, c: string) => {
    const l = samples.get(wkey(w, s, c)) ?? [];
    return l.length
      ? `${Math.round(Math.min(...l.map((r) => r.rps)))}-${Math.round(Math.max(...l.map((r) => r.rps)))}`
      : "-";
  };
  console.log("range over rounds:");
  for (const c of rowNames)
    console.log(`${label[c].padEnd(width)}${servers.map((s) => spread(s, c).padStart(width)).join("")}`);
  const us = (v: number | undefined) => (v === undefined ? "-" : `${Math.round(v)}`);
  console.log("\nserver CPU µs per request, median (independent of other load; h2load row approximate):");
  for (const c of rowNames) {
    console.log(`${label[c].padEnd(width)}${servers.map((s) => us(cell(s, c)?.serverUs).padStart(width)).join("")}`);
  }
  console.log("client CPU µs per request, median:");
  for (const c of clients) {
    console.log(`${label[c].padEnd(width)}${servers.map((s) => us(cell(s, c)?.clientUs).padStart(width)).join("")}`);
  }
  const ratio = (a: Result | undefined, b: Result | undefined) => ((a?.rps ?? 0) / (b?.rps ?? Number.NaN)).toFixed(2);
  console.log("\nserver vs grpc-js server, same client:");
  for (const c of [...(hasH2load ? ["h2load"] : []), ...clients]) {
    console.log(
      `  ${label[c].padEnd(width)}fast ${ratio(cell("connect", c), cell("grpc-js", c))}  stock ${ratio(cell("connect-stock", c), cell("grpc-js", c))}`,
    );
  }
  console.log("client vs grpc-js client, same server:");
  for (const s of servers) {
    console.log(
      `  ${label[s].padEnd(width)}fast ${ratio(cell(s, "connect"), cell(s, "grpc-js"))}  stock ${ratio(cell(s, "connect-stock"), cell(s, "grpc-js"))}`,
    );
  }
  for (const r of rows) if (r.note) console.log(`note: ${r.server} <- ${r.client}: first error ${r.note}`);
}
