import { FREE_PORT_ARGS } from "../free-ports.js";
import { rssPlateau } from "../soak/soak.js";
import { spawnGateway } from "../test-support/spawn-gateway.js";
import { drive, type FuzzTarget } from "./drive.js";
import { createGrpcInputs, createGrpcSessions, type GrpcInput, type GrpcSessions } from "./grpc-target.js";
import { createHangWatch } from "./hang-watch.js";
import { createHttpInputs, createHttpSender, type HttpInput, type HttpSender } from "./http-target.js";
import {
  createMcpInputs,
  createMcpOpenInputs,
  createMcpSender,
  type McpInput,
  type McpSender,
  mcpSeeds,
} from "./mcp-target.js";
import { type MemorySample, sampleMemory } from "./memory.js";
import type { TargetTally } from "./tally.js";

/** The parsers a campaign can drive (`--targets`). */
export const TARGET_NAMES = ["mcp frames", "mcp open bodies", "ollama/openai json", "grpc/connect envelopes"] as const;

/** How long a campaign runs and how hard it pushes. */
export interface CampaignOptions {
  /** Inputs in total over the parsers (each parser tries as many as it answers in the time). */
  inputs: number;
  /** Time budget in seconds; the campaign stops at whichever of the two comes first. */
  seconds: number;
  /** Seed of every generator (the same seed replays the same inputs). Default 1. */
  seed?: number;
  /** Inputs in flight at once per parser (all three run at the same time). Default 32. */
  concurrency?: number;
  /** No answer within this is a hang. Default 5000 ms. */
  hangMs?: number;
  /**
   * Inputs with no answer in time are replayed alone after the run for at most this many seconds (a real hang takes
   * the hang limit each); any not replayed by then count as hangs. Default 120.
   */
  replaySeconds?: number;
  /** Calls `onProgress` every this many seconds (0 or absent: never). */
  progressSeconds?: number;
  onProgress?: (p: CampaignProgress) => void;
  /** The parsers to drive (names of {@link TARGET_NAMES}); default all. */
  targets?: readonly string[];
  /** Records the gateway's memory (RSS, V8 heap) every this many seconds into `memory`. Default 10. */
  memorySampleSeconds?: number;
  /** Extra environment of the gateway process (e.g. `NODE_OPTIONS` for a heap-snapshot signal). */
  gatewayEnv?: Record<string, string>;
}

/** Where a running campaign is. */
export interface CampaignProgress {
  seconds: number;
  tallies: readonly TargetTally[];
  /** The gateway's RSS at the last sample. */
  rssBytes: number;
  /** The gateway's V8 heap in use at the last memory sample. */
  heapUsedBytes: number;
  /** The gateway's process id (to signal it, e.g. for a heap snapshot). */
  pid: number;
}

/** What a campaign found. */
export interface CampaignResult {
  tallies: TargetTally[];
  /** The gateway process exited during the campaign (its exit code or signal), or undefined. */
  crash: string | undefined;
  /** HTTP/2 sessions that ended in an error (a bad stream should fail only itself). */
  sessionErrors: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  peakRssBytes: number;
  /** After the campaign a valid call on each wire still succeeded. */
  servesAfter: boolean;
  seconds: number;
  /** The gateway's memory over the run (every `memorySampleSeconds`, first before any input, last after the run). */
  memory: MemorySample[];
}

/** The parsers as fuzz targets (MCP twice: frames mostly on a connection each, OPEN bodies on kept sessions). */
function targets(seed: number, sinks: { mcp: McpSender; http: HttpSender; grpc: GrpcSessions }) {
  const mcpInputs = createMcpInputs(seed);
  const openInputs = createMcpOpenInputs(seed);
  const httpInputs = createHttpInputs(seed);
  const grpcInputs = createGrpcInputs(seed);
  const mcp: FuzzTarget<McpInput> = {
    name: "mcp frames",
    next: mcpInputs,
    send: (input, hang) => sinks.mcp.send(input, hang),
    describe: (input) => ({ bytes: input.bytes, label: input.afterHello ? "after HELLO " : "" }),
  };
  const opens: FuzzTarget<McpInput> = { ...mcp, name: "mcp open bodies", next: openInputs };
  const http: FuzzTarget<HttpInput> = {
    name: "ollama/openai json",
    next: httpInputs,
    send: (input, hang) => sinks.http.send(input, hang),
    describe: (input) => ({ bytes: input.body, label: `${input.path} ` }),
  };
  const grpc: FuzzTarget<GrpcInput> = {
    name: "grpc/connect envelopes",
    next: grpcInputs,
    send: (input, hang) => sinks.grpc.send(input, hang),
    describe: (input) => ({
      bytes: input.body,
      label: `${input.headers[":method"]} ${input.headers[":path"]} ${input.headers["content-type"]} `,
    }),
  };
  return [mcp, opens, http, grpc] as const;
}

/**
 * Runs the fault campaign: starts the built gateway (`apps/server/dist/main.js`, loopback, ephemeral ports) and sends
 * it generated inputs over real sockets — MCP frames, Ollama/OpenAI JSON bodies, gRPC/Connect envelopes and
 * headers — all three parsers at once, each with `concurrency` inputs in flight, until the input count or the time
 * budget is used up (a parser that answers faster tries more of the inputs), counting per parser what hung, got a 5xx or a reset, and whether the
 * process survived. One timer watches every input in flight for a hang. The gateway is killed at the end.
 */
export async function runCampaign(o: CampaignOptions): Promise<CampaignResult> {
  const seed = o.seed ?? 1;
  const hangMs = o.hangMs ?? 5_000;
  const concurrency = o.concurrency ?? 32;
  const only = o.targets ?? TARGET_NAMES;
  const unknown = only.filter((t) => !(TARGET_NAMES as readonly string[]).includes(t));
  if (unknown.length > 0)
    throw new Error(`unknown fuzz target ${unknown.join(", ")} (one of ${TARGET_NAMES.join(", ")})`);
  const gw = await spawnGateway(
    [...FREE_PORT_ARGS, "--quiet", "--tokens", "4", "--max-streams", "256", "--max-queue", "256"],
    { env: o.gatewayEnv },
  );
  let crash: string | undefined;
  void gw.exited.then(({ code, signal }) => {
    crash ??= `gateway exited (${signal ?? code})`;
  });
  const start = performance.now();
  const hang = createHangWatch(hangMs);
  let sampler: NodeJS.Timeout | undefined;
  try {
    const httpUrl = gw.url("http");
    const mcpPort = Number(new URL(gw.url("mcp-tcp")).port);
    const admin = gw.url("admin");
    const sinks = {
      mcp: createMcpSender(mcpPort, mcpSeeds()[0]),
      http: createHttpSender(httpUrl, concurrency),
      grpc: createGrpcSessions(gw.url("connect"), 8),
    };
    const elapsed = () => (performance.now() - start) / 1000;
    const { maxRssBytes: _, ...first } = await sampleMemory(admin, 0);
    const memory: MemorySample[] = [first];
    const rssBeforeBytes = first.rssBytes;
    let peakRssBytes = rssBeforeBytes;
    let lastRssBytes = rssBeforeBytes;
    let lastHeapBytes = first.heapUsedBytes;
    const everyMemory = Math.max(1, o.memorySampleSeconds ?? 10);
    const deadline = start + o.seconds * 1000;
    let left = o.inputs;
    const take = () => {
      if (left <= 0 || performance.now() >= deadline || crash !== undefined) return false;
      left--;
      return true;
    };
    const go = <I>(t: FuzzTarget<I>) => drive(t, { concurrency, take }, hang);
    // More MCP frames in flight would not help: most need a connection each, and this machine sets up and tears
    // down loopback connections at ~200-250/s whatever the concurrency (32 or 256 in flight, probe 2026-12-01).
    const runs = targets(seed, sinks)
      .filter((t) => only.includes(t.name))
      .map((t) => go(t as FuzzTarget<unknown>));
    const tallies = runs.map((r) => r.tally);
    let ticks = 0;
    sampler = setInterval(() => {
      ticks++;
      const at = elapsed();
      sampleMemory(admin, at).then(
        ({ maxRssBytes, ...s }) => {
          peakRssBytes = Math.max(peakRssBytes, maxRssBytes);
          lastRssBytes = s.rssBytes;
          lastHeapBytes = s.heapUsedBytes;
          if (ticks % everyMemory === 0) memory.push(s);
        },
        () => {},
      );
      if (o.progressSeconds && ticks % o.progressSeconds === 0) {
        o.onProgress?.({
          seconds: at,
          tallies,
          rssBytes: lastRssBytes,
          heapUsedBytes: lastHeapBytes,
          pid: gw.proc.pid ?? 0,
        });
      }
    }, 1_000);
    await Promise.all(runs.map((r) => r.done));
    // Inputs that got no answer in time are replayed now, one at a time, with nothing else in flight.
    const replaysUntil = performance.now() + (o.replaySeconds ?? 120) * 1000;
    for (const r of runs) if (crash === undefined) await r.confirm(replaysUntil);
    clearInterval(sampler);
    const sessionErrors = sinks.grpc.sessionErrors;
    sinks.grpc.close();
    sinks.mcp.close();
    await sinks.http.close();
    let servesAfter = false;
    let rssAfterBytes = 0;
    if (crash === undefined) {
      const { maxRssBytes, ...after } = await sampleMemory(admin, elapsed());
      memory.push(after);
      rssAfterBytes = after.rssBytes;
      peakRssBytes = Math.max(peakRssBytes, maxRssBytes);
      servesAfter = await servesEveryWire(httpUrl, gw.url("connect"), mcpPort);
    }
    return {
      tallies,
      crash,
      sessionErrors,
      rssBeforeBytes,
      rssAfterBytes,
      peakRssBytes,
      servesAfter,
      seconds: elapsed(),
      memory,
    };
  } finally {
    clearInterval(sampler);
    hang.close();
    await gw.kill();
  }
}

/** A valid call on each wire: HTTP `/api/version`, gRPC `Version`, an MCP handshake. */
async function servesEveryWire(http: string, connect: string, mcpPort: number): Promise<boolean> {
  const okHttp = (await fetch(`${http}/api/version`, { signal: AbortSignal.timeout(5_000) })).status === 200;
  const grpc = createGrpcSessions(connect, 1);
  const hang = createHangWatch(5_000);
  const g = await grpc.send(
    {
      headers: {
        ":method": "POST",
        ":path": "/modelwire.v1.InferenceService/Version",
        "content-type": "application/grpc",
        te: "trailers",
      },
      body: new Uint8Array(5),
    },
    hang,
  );
  hang.close();
  grpc.close();
  const hello = mcpSeeds()[0];
  const welcomed = await new Promise<boolean>((resolve) => {
    import("node:net").then((net) => {
      const s = net.connect(mcpPort, "127.0.0.1", () => s.write(hello));
      const t = setTimeout(() => {
        s.destroy();
        resolve(false);
      }, 5_000);
      s.on("error", () => {
        clearTimeout(t);
        resolve(false);
      });
      s.once("data", (d: Buffer) => {
        clearTimeout(t);
        s.destroy();
        resolve(d[3] === 2); // the frame type byte (docs/mcp-wire.md §3): WELCOME
      });
    });
  });
  return okHttp && g.kind === "answered" && g.status === 200 && welcomed;
}

/** The result as the lines `npm run fuzz` prints. */
export function formatResult(r: CampaignResult): string {
  const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;
  const lines = [
    `fuzz: ${r.tallies.reduce((a, t) => a + t.inputs, 0)} inputs in ${r.seconds.toFixed(1)} s`,
    ...r.tallies.map(
      (t) =>
        `  ${t.target.padEnd(24)} inputs ${String(t.inputs).padStart(8)}  hangs ${t.hangs}` +
        (t.suspected > 0 ? ` (of ${t.suspected} slower than the limit under load, replayed alone)` : "") +
        `  5xx ${t.serverErrors}` +
        (t.unsent > 0 ? `  not sent (client error) ${t.unsent}` : "") +
        `  reset-without-response ${t.resets}  slowest ${t.slowestMs.toFixed(0)} ms` +
        (t.examples.length ? `\n    e.g. ${t.examples.join("\n    e.g. ")}` : ""),
    ),
    `  crashes ${r.crash === undefined ? 0 : 1}${r.crash ? ` (${r.crash})` : ""}`,
    `  http/2 sessions ended in an error: ${r.sessionErrors}`,
    `  gateway RSS before ${mib(r.rssBeforeBytes)}, after ${mib(r.rssAfterBytes)}, peak ${mib(r.peakRssBytes)}`,
    `  gateway memory over time (s: RSS / V8 heap total / heap used / external, MiB): ${r.memory
      .map(
        (m) =>
          `${m.atSeconds.toFixed(0)}: ${[m.rssBytes, m.heapTotalBytes, m.heapUsedBytes, m.externalBytes].map((b) => (b / 2 ** 20).toFixed(0)).join(" / ")}`,
      )
      .join(", ")}`,
    `  RSS plateau: ${verdict(rssPlateau(r.memory))}; V8 heap used, lowest sample of each third of the run: ${heapFloors(r.memory)}`,
    `  serves every wire afterwards: ${r.servesAfter ? "yes" : "NO"}`,
  ];
  return lines.join("\n");
}

/**
 * The lowest heap-in-use sample of each third of the run while inputs flowed (a sample lands anywhere between two collections, so the
 * lowest is the nearest to what is live): rising floors are retained memory, flat ones garbage between collections.
 */
export function heapFloors(all: readonly MemorySample[]): string {
  const memory = all.slice(1, -1); // not the samples before the first input and after the run
  if (memory.length < 6) return "too few samples to tell";
  const third = Math.floor(memory.length / 3);
  const parts = [memory.slice(0, third), memory.slice(third, 2 * third), memory.slice(2 * third)];
  return `${parts.map((p) => (Math.min(...p.map((m) => m.heapUsedBytes)) / 2 ** 20).toFixed(1)).join(" / ")} MiB`;
}

const verdict = (p: boolean | undefined) =>
  p === undefined ? "too few samples to tell" : p ? "yes" : "NO (still growing)";

/** Exit status of a campaign: non-zero on a crash, a hang, or a gateway that no longer serves. */
export function failed(r: CampaignResult): boolean {
  return r.crash !== undefined || !r.servesAfter || r.tallies.some((t) => t.hangs > 0);
}
