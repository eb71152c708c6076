/**
 * Issue 18 figures: one bench agent vs two against one gateway pinned to CPU 1, and the gap to the peer load tools
 * wrk (HTTP/1.1, `/api/generate`) and h2load (HTTP/2, gRPC `Generate`) on the same endpoint, side by side in one run.
 * Every client (wrk, h2load, each agent) is pinned to CPU 0. With root and iproute2 every client runs in a network
 * namespace of its own ("hosts" with their own addresses, over veth and a private bridge the gateway is bound to);
 * otherwise on loopback (said in the first lines). Bounded: `rounds` x 2 wires x 3 runs of `seconds` each.
 * Run it after a build, under the measurement lock:
 *
 *   /work/tools/quiet npm run perf:agents -w @modelwire/bench [-- --seconds 10 --streams 16 --rounds 2]
 *
 * @module
 */

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { connect } from "node:http2";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { clampTimerMs } from "@modelwire/core";
import { GATEWAY_MAIN } from "@modelwire/server";
import type { BenchResult } from "../result.js";
import { spawnServerProcess } from "../server-process.js";
import { createNetnsHosts, type NetnsHosts, netnsUnavailable } from "../test-support/netns.js";
import { createWorkSource, DEFAULT_WORKLOAD } from "../workload.js";
import {
  grpcGenerateFrame,
  ollamaGenerateBody,
  type PeerFigures,
  parseH2load,
  parseWrk,
  wrkPostScript,
} from "./peer-tools.js";

const CLI = fileURLToPath(new URL("../../../cli/bin/modelwire.js", import.meta.url));
const { values: v } = parseArgs({
  options: { seconds: { type: "string" }, streams: { type: "string" }, rounds: { type: "string" } },
});
const SECONDS = Math.min(60, Math.max(2, Number(v.seconds ?? 10)));
const STREAMS = Math.min(256, Math.max(2, Number(v.streams ?? 16)));
const ROUNDS = Math.min(5, Math.max(1, Number(v.rounds ?? 2)));
const CLIENT_CPU = "0";
const SERVER_CPU = "1";

/** Runs a command to its end (killed after `timeoutMs`), returning its exit code and output. */
function run(cmd: string[], timeoutMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd[0], cmd.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const keep = (d: Buffer) => {
      out = (out + d.toString("utf8")).slice(-16_000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    const timer = setTimeout(() => child.kill("SIGKILL"), clampTimerMs(timeoutMs));
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

interface Setup {
  hosts?: NetnsHosts;
  /** The command prefix that runs a client as host `i`, pinned to the client CPU. */
  client(i: number): string[];
  http: string;
  connect: string;
  admin: string;
  dir: string;
}

/** One window's figures from a bench result file. */
async function benchFigures(file: string) {
  const r = JSON.parse(await readFile(file, "utf8")) as BenchResult;
  const w = r.scenarios[0].windows[0];
  return {
    rps: w.rps,
    failed: w.run.requests - w.run.ok,
    generatorCpu: w.generator.cpuUtilization,
    generatorBound: w.warning !== undefined || (r.agents?.generatorBound.length ?? 0) > 0,
    connections: w.pool?.opened,
    misalignmentMs: r.agents?.startMisalignmentMs,
    skewMs: r.agents?.clockSkewMs,
    parts: w.agents?.map((a) => a.rps),
  };
}
type BenchFigures = Awaited<ReturnType<typeof benchFigures>>;

function benchArgs(s: Setup, wire: string): string[] {
  const url = wire === "http" ? s.http : s.connect;
  return [
    ...["bench", "--target", `${wire}=${url}`, "--admin", s.admin, "--concurrency", String(STREAMS)],
    ...["--duration", `${SECONDS}s`, "--warmup", "1s", "--repeats", "1", "--quiet"],
  ];
}

async function oneAgent(s: Setup, wire: string, tag: string): Promise<BenchFigures> {
  const out = join(s.dir, `one-${tag}`);
  const r = await run(
    [...s.client(0), process.execPath, CLI, ...benchArgs(s, wire), "--out", out],
    120_000 + SECONDS * 2000,
  );
  if (r.code !== 0 && r.code !== 1) throw new Error(`1 agent (${wire}) exited ${r.code}: ${r.out.slice(-800)}`);
  return benchFigures(join(out, "bench.json"));
}

async function twoAgents(s: Setup, wire: string, tag: string): Promise<BenchFigures> {
  const startAt = String(Date.now() + 8_000);
  const outs = [0, 1].map((i) => join(s.dir, `two-${tag}-a${i}`));
  const runs = await Promise.all(
    [0, 1].map((i) =>
      run(
        [
          ...s.client(i),
          process.execPath,
          CLI,
          ...benchArgs(s, wire),
          ...["--agents", "2", "--agent-index", String(i), "--start-at", startAt, "--out", outs[i]],
        ],
        120_000 + SECONDS * 2000,
      ),
    ),
  );
  for (const [i, r] of runs.entries())
    if (r.code !== 0 && r.code !== 1) throw new Error(`agent ${i} (${wire}) exited ${r.code}: ${r.out.slice(-800)}`);
  const merged = join(s.dir, `two-${tag}`);
  const files = outs.map((o) => join(o, "bench.json"));
  const m = await run([process.execPath, CLI, "bench", "--report-from", ...files, "--out", merged, "--quiet"], 60_000);
  if (m.code !== 0 && m.code !== 1) throw new Error(`merge (${wire}) exited ${m.code}: ${m.out.slice(-800)}`);
  return benchFigures(join(merged, "bench.json"));
}

async function peer(s: Setup, wire: string): Promise<PeerFigures> {
  if (wire === "http") {
    const cmd = [
      "wrk",
      "-t1",
      `-c${STREAMS}`,
      `-d${SECONDS}s`,
      "-s",
      join(s.dir, "post.lua"),
      `${s.http}/api/generate`,
    ];
    const r = await run([...s.client(0), ...cmd], SECONDS * 1000 + 60_000);
    return parseWrk(r.out);
  }
  // One HTTP/2 connection with every stream on it, as the bench's connect-grpc client holds its calls.
  const cmd = ["h2load", "-t1", "-c1", `-m${STREAMS}`, `-D${SECONDS}`, "--warm-up-time=1"];
  const headers = ["-H", "content-type: application/grpc", "-H", "te: trailers"];
  const url = `${s.connect}/modelwire.v1.InferenceService/Generate`;
  const r = await run(
    [...s.client(0), ...cmd, ...headers, "-d", join(s.dir, "grpc.bin"), url],
    SECONDS * 1000 + 60_000,
  );
  return parseH2load(r.out);
}

/** Sends the peers' exact requests once and checks they succeed, so their rates count real replies. */
async function checkPeerRequests(s: Setup, body: string, frame: Uint8Array): Promise<void> {
  const res = await fetch(`${s.http}/api/generate`, {
    method: "POST",
    body,
    headers: { "content-type": "application/json" },
  });
  const text = await res.text();
  const last = JSON.parse(text.trim().split("\n").at(-1) ?? "{}") as { done?: boolean; eval_count?: number };
  if (res.status !== 200 || last.done !== true)
    throw new Error(`wrk's request failed: ${res.status} ${text.slice(0, 300)}`);
  const session = connect(s.connect);
  try {
    const status = await new Promise<string>((resolve, reject) => {
      const req = session.request({
        ":method": "POST",
        ":path": "/modelwire.v1.InferenceService/Generate",
        "content-type": "application/grpc",
        te: "trailers",
      });
      let bytes = 0;
      req.on("data", (d: Buffer) => {
        bytes += d.length;
      });
      req.on("trailers", (t) => resolve(`${t["grpc-status"]} after ${bytes} bytes`));
      req.on("error", reject);
      req.end(frame);
    });
    if (!status.startsWith("0 ") || status.endsWith(" 0 bytes"))
      throw new Error(`h2load's request failed: grpc-status ${status}`);
  } finally {
    session.close();
  }
}

const fmt = (x: number) => x.toFixed(0);
const ratio = (x: number, base: number) => `${(x / base).toFixed(2)}×`;

async function main(): Promise<void> {
  if (!existsSync(CLI) || !existsSync(GATEWAY_MAIN)) throw new Error("build first: npx turbo run build");
  const why = netnsUnavailable();
  const hosts = why === undefined ? createNetnsHosts(2) : undefined;
  const bind = hosts?.serverAddress ?? "127.0.0.1";
  const dir = await mkdtemp(join(tmpdir(), "agents-figures-"));
  console.log(
    `agents figures ${new Date().toISOString()}; ${cpus().length} CPUs; loadavg ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}`,
  );
  console.log(
    hosts
      ? `clients: 2 network namespaces (${hosts.hosts.map((h) => h.address).join(", ")}) over veth to ${bind}`
      : `clients: loopback (${why})`,
  );
  console.log(
    `gateway on CPU ${SERVER_CPU}; wrk, h2load and every agent on CPU ${CLIENT_CPU}; ${STREAMS} streams, ${SECONDS} s, ${ROUNDS} rounds`,
  );
  const gateway = await spawnServerProcess({
    name: "gateway",
    script: GATEWAY_MAIN,
    cpus: SERVER_CPU,
    args: [
      ...["--host", bind, "--admin-host", bind, "--max-streams", "8192"],
      ...["--http-port", "0", "--connect-port", "0", "--mcp-port", "0", "--admin-port", "0"],
    ],
  });
  const url = (p: string) => gateway.addresses.find((a) => a.protocol === p)?.url ?? "";
  const s: Setup = {
    ...(hosts ? { hosts } : {}),
    client: (i) => [...(hosts?.exec(i) ?? []), "taskset", "-c", CLIENT_CPU],
    http: url("http"),
    connect: url("connect"),
    admin: url("admin"),
    dir,
  };
  try {
    const tags = (await (await fetch(`${s.http}/api/tags`)).json()) as { models: Array<{ name: string }> };
    const item = createWorkSource(DEFAULT_WORKLOAD, { engine: "real", model: tags.models[0].name })(0);
    if (item.kind === "chat" || item.kind === "session") throw new Error("the default workload is not generate");
    const request = item.request;
    const body = ollamaGenerateBody(request);
    const frame = grpcGenerateFrame(request);
    await writeFile(join(dir, "post.lua"), wrkPostScript(body));
    await writeFile(join(dir, "grpc.bin"), frame);
    await checkPeerRequests(s, body, frame);
    const rows: string[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      for (const wire of ["http", "connect-grpc"]) {
        const tag = `${wire}-${round}`;
        const steps = ["peer", "one", "two"];
        const order = [...steps.slice(round % 3), ...steps.slice(0, round % 3)];
        let p: PeerFigures | undefined;
        let one: BenchFigures | undefined;
        let two: BenchFigures | undefined;
        for (const step of order) {
          if (step === "peer") p = await peer(s, wire);
          else if (step === "one") one = await oneAgent(s, wire, tag);
          else two = await twoAgents(s, wire, tag);
        }
        if (!p || !one || !two) throw new Error("a step did not run");
        const bound = (f: BenchFigures) => (f.generatorBound ? " (generator-bound)" : "");
        rows.push(
          [
            `| ${wire} | ${round} | ${order.join(" → ")} | ${p.tool} ${fmt(p.rps)} (${p.failed} failed)`,
            `${fmt(one.rps)} = ${ratio(one.rps, p.rps)}${bound(one)}`,
            `${fmt(two.rps)} = ${ratio(two.rps, p.rps)} (${(two.parts ?? []).map(fmt).join(" + ")})${bound(two)}`,
            `${ratio(two.rps, one.rps)} | ${fmt(two.misalignmentMs ?? Number.NaN)} / ${(two.skewMs ?? Number.NaN).toFixed(1)} ms`,
            `${one.failed + two.failed} |`,
          ].join(" | "),
        );
        console.log(rows.at(-1));
      }
    }
    console.log("");
    console.log(
      "| wire | round | order | peer req/s | 1 agent req/s (× peer) | 2 agents merged req/s (× peer) (parts) | 2 agents ÷ 1 | start misalignment / clock skew | bench failed |",
    );
    console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (const r of rows) console.log(r);
  } finally {
    await gateway.close();
    hosts?.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
