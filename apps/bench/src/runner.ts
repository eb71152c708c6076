import { createWriteStream, type WriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { InferenceClient } from "@modelwire/core";
import { createGeneratorMonitor, generatorWarning } from "./generator-monitor.js";
import { type LoadStats, runClosedLoop, runOpenLoop } from "./load.js";
import type { Progress } from "./progress.js";
import { createRunRecorder } from "./recorder.js";
import {
  type BenchResult,
  type CostFigures,
  FIGURES,
  type FigureName,
  type ProcessInfo,
  RESULT_SCHEMA,
  type Scenario,
  type ScenarioResult,
  type SweepPoint,
  type SweepResult,
  type TransportSummary,
  type WindowResult,
} from "./result.js";
import { nodeArgsFor, type ProcessStats, type ServerProcess, spawnServerProcess } from "./server-process.js";
import { ExitCode, evaluateSlos, goodputBoundsFromSlos, type Slo } from "./slo.js";
import { spreadOf } from "./stats-math.js";
import type { StreamOutcome } from "./stream-call.js";
import type { ServerKind, TransportPlugin } from "./transports.js";
import { type LoadWorkers, startLoadWorkers } from "./worker-pool.js";
import { createWorkSource } from "./workload.js";

/** The sweep: open-loop rates rising by `factor` until an SLO breaks. */
export interface SweepConfig {
  /** Scenario whose workload is swept (its load spec is replaced by open-loop rates). */
  scenario: Scenario;
  startRps: number;
  factor: number;
  maxSteps: number;
  stepMs: number;
  /** SLOs that define the knee. */
  slos: Slo[];
}

/** Everything a bench run needs. */
export interface BenchConfig {
  scenarios: Scenario[];
  transports: TransportPlugin[];
  repeats: number;
  /** SLOs checked per scenario and transport (breach → exit 1). */
  slos: Slo[];
  sweep?: SweepConfig;
  /** The gateway's built entry (`GATEWAY_MAIN`); required when a gateway transport is selected. */
  gatewayMain?: string;
  /** Extra gateway flags. */
  gatewayArgs?: string[];
  /** Pin servers to these CPUs with taskset (e.g. "1"). */
  serverCpus?: string;
  /** Client connections per transport (where the transport pools). */
  connections?: number;
  /** Write one JSON line per request here (in-process generator only; not with workers). */
  jsonlPath?: string;
  /**
   * Load-generator worker threads per transport (default 1 = the main thread drives the load). With more, each
   * window's load is split across workers, each with its own client, and their histograms merged.
   */
  workers?: number;
  progress: Progress;
}

const REFERENCE_MAIN = fileURLToPath(
  new URL(`./reference-main.${import.meta.url.endsWith(".ts") ? "ts" : "js"}`, import.meta.url),
);

async function startServer(
  kind: ServerKind,
  cfg: BenchConfig,
  socketDir: string,
  seed: number,
): Promise<ServerProcess> {
  if (kind === "gateway") {
    if (!cfg.gatewayMain) throw new Error("no gateway entry (GATEWAY_MAIN) available; build @modelwire/server");
    return spawnServerProcess({
      name: "gateway",
      script: cfg.gatewayMain,
      args: [
        "--http-port",
        "0",
        "--connect-port",
        "0",
        "--mcp-port",
        "0",
        "--admin-port",
        "0",
        "--mcp-socket",
        join(socketDir, "mcp.sock"),
        "--max-streams",
        "8192",
        "--seed",
        String(seed),
        ...(cfg.gatewayArgs ?? []),
      ],
      cpus: cfg.serverCpus,
    });
  }
  return spawnServerProcess({
    name: kind,
    script: REFERENCE_MAIN,
    nodeArgs: nodeArgsFor(import.meta.url),
    args: ["--kind", kind, "--seed", String(seed)],
    cpus: cfg.serverCpus,
  });
}

function costBetween(
  before: ProcessStats,
  after: ProcessStats,
  statsKey: string,
  requests: number,
  tokens: number,
  generatorCpuMicros: number,
): CostFigures {
  const cpu = after.cpu.userMicros + after.cpu.systemMicros - (before.cpu.userMicros + before.cpu.systemMicros);
  const b0 = before.servers[statsKey] ?? { bytesIn: 0, bytesOut: 0 };
  const b1 = after.servers[statsKey] ?? { bytesIn: 0, bytesOut: 0 };
  const bytesIn = b1.bytesIn - b0.bytesIn;
  const bytesOut = b1.bytesOut - b0.bytesOut;
  const per = (x: number, n: number) => (n > 0 ? x / n : Number.NaN);
  return {
    serverCpuMicros: cpu,
    serverCpuPerRequestUs: per(cpu, requests),
    serverCpuPerTokenUs: per(cpu, tokens),
    bytesIn,
    bytesOut,
    bytesPerRequest: per(bytesIn + bytesOut, requests),
    bytesPerToken: per(bytesIn + bytesOut, tokens),
    serverRssBytes: after.rssBytes,
    serverMaxRssBytes: after.maxRssBytes,
    generatorCpuPerRequestUs: per(generatorCpuMicros, requests),
  };
}

async function drive(
  client: InferenceClient,
  scenario: Scenario,
  work: ReturnType<typeof createWorkSource>,
  onOutcome: (o: StreamOutcome) => void,
  durationMs: number,
  maxRequests: number,
): Promise<LoadStats> {
  const base = { client, work, onOutcome, durationMs, maxRequests, callTimeoutMs: 30_000, drainMs: 10_000 };
  return scenario.load.mode === "closed"
    ? runClosedLoop({ ...base, concurrency: scenario.load.concurrency })
    : runOpenLoop({
        ...base,
        ratePerSec: scenario.load.ratePerSec,
        arrival: scenario.load.arrival,
        maxInFlight: scenario.load.maxInFlight,
      });
}

function figureOf(w: WindowResult, f: FigureName): number {
  const s = w.run.summaries;
  switch (f) {
    case "rps":
      return w.rps;
    case "tokensPerSec":
      return w.tokensPerSec;
    case "ttftP50":
      return s.ttft.p50;
    case "ttftP99":
      return s.ttft.p99;
    case "e2eP50":
      return s.e2e.p50;
    case "e2eP99":
      return s.e2e.p99;
    case "tpotP50":
      return s.tpot.p50;
    case "gapP99":
      return s.gap.p99;
    case "stallP99":
      return s.stall.p99;
    case "errorRate":
      return w.errorRate;
    default:
      return w.cost[f];
  }
}

/** The most streams any scenario holds in flight (closed loop: its concurrency; open loop: its cap, else 1024). */
function maxStreams(scenarios: Scenario[]): number {
  return Math.max(
    1,
    ...scenarios.map((s) => (s.load.mode === "closed" ? s.load.concurrency : (s.load.maxInFlight ?? 1024))),
  );
}

/** Summarizes one transport's windows: merged histograms, median and spread of every figure, SLO verdicts. */
export function summarizeWindows(transport: string, windows: WindowResult[], slos: Slo[]): TransportSummary {
  const rec = createRunRecorder();
  for (const w of windows) rec.merge(w.run);
  const merged = rec.toJSON();
  const figures = Object.fromEntries(
    FIGURES.map((f) => [f, spreadOf(windows.map((w) => figureOf(w, f)))]),
  ) as TransportSummary["figures"];
  const errorRate = merged.requests > 0 ? (merged.requests - merged.ok) / merged.requests : 0;
  const slo = evaluateSlos(slos, {
    latency: merged.summaries,
    errorRate,
    rps: figures.rps.median,
    tokensPerSec: figures.tokensPerSec.median,
    goodputRatio: merged.requests > 0 ? merged.good / merged.requests : 0,
  });
  const warnings = [...new Set(windows.map((w) => w.warning).filter((x): x is string => !!x))];
  return { transport, rounds: windows.length, merged, figures, slo, warnings };
}

/** Runs the whole comparison and returns the result (reports are written by the caller). */
export async function runBench(cfg: BenchConfig): Promise<BenchResult> {
  const startedAt = new Date();
  const t0 = performance.now();
  const p = cfg.progress;
  const seed = cfg.scenarios[0]?.workload.engine.seed ?? 42;
  const socketDir = await mkdtemp(join(tmpdir(), "modelwire-bench-"));
  const servers = new Map<ServerKind, ServerProcess>();
  const clients = new Map<string, InferenceClient>();
  const pools = new Map<string, LoadWorkers>();
  const skipped: BenchResult["skipped"] = [];
  const jsonl: WriteStream | undefined = cfg.jsonlPath ? createWriteStream(cfg.jsonlPath) : undefined;
  const monitor = createGeneratorMonitor();
  const scenarioResults: ScenarioResult[] = [];
  let sweep: BenchResult["sweep"];
  const processes: ProcessInfo[] = [];
  try {
    for (const kind of new Set(cfg.transports.map((t) => t.server))) {
      try {
        const s = await startServer(kind, cfg, socketDir, seed);
        servers.set(kind, s);
        p.line(
          `started ${kind} (pid ${s.pid}) in ${s.startupMs.toFixed(1)} ms${cfg.serverCpus ? ` on CPU ${cfg.serverCpus}` : ""}`,
        );
      } catch (e) {
        for (const t of cfg.transports.filter((x) => x.server === kind)) {
          skipped.push({ transport: t.name, reason: `${kind} did not start: ${(e as Error).message}` });
        }
        p.line(`skipping ${kind} transports: ${(e as Error).message}`);
      }
    }
    for (const t of cfg.transports) {
      const server = servers.get(t.server);
      if (!server) continue;
      try {
        clients.set(
          t.name,
          await t.create(server.addresses, { connections: cfg.connections, streams: maxStreams(cfg.scenarios) }),
        );
      } catch (e) {
        skipped.push({ transport: t.name, reason: (e as Error).message });
        p.line(`skipping ${t.name}: ${(e as Error).message}`);
      }
    }
    if ((cfg.workers ?? 1) > 1) {
      for (const t of cfg.transports.filter((x) => clients.has(x.name))) {
        pools.set(
          t.name,
          await startLoadWorkers(cfg.workers!, t.name, servers.get(t.server)!.addresses, cfg.connections),
        );
      }
      p.line(`load generator: ${cfg.workers} worker threads per transport`);
    }
    const active = cfg.transports.filter((t) => clients.has(t.name));
    if (active.length === 0)
      throw new Error(`no transport could run: ${skipped.map((s) => `${s.transport}: ${s.reason}`).join("; ")}`);

    for (const scenario of cfg.scenarios) {
      const w = scenario.workload;
      for (const s of servers.values()) await s.configureEngine({ ...w.engine });
      const work = createWorkSource(w);
      const goodput = goodputBoundsFromSlos(cfg.slos);
      const windows: WindowResult[] = [];
      p.line(`scenario ${scenario.name}: ${scenario.description}`);
      for (let round = 1; round <= cfg.repeats; round++) {
        // Interleave: every transport once per round, the order rotated so none always runs first or last.
        const order = active.map((_, i) => active[(i + round - 1) % active.length]);
        for (const [pos, t] of order.entries()) {
          const client = clients.get(t.name)!;
          const server = servers.get(t.server)!;
          p.status(`${scenario.name} round ${round}/${cfg.repeats} · ${t.name}: warming up`);
          const pool = pools.get(t.name);
          if (pool)
            await pool.run(scenario, {
              durationMs: scenario.warmupMs,
              maxRequests: Number.MAX_SAFE_INTEGER,
              goodput,
              warmup: true,
            });
          else await drive(client, scenario, work, () => {}, scenario.warmupMs, Number.MAX_SAFE_INTEGER);
          let rec = createRunRecorder(goodput);
          const before = await server.stats();
          let done = 0;
          const tick = setInterval(
            () =>
              p.status(
                `${scenario.name} round ${round}/${cfg.repeats} · ${t.name}: ${pool ? "running" : `${done} streams`}`,
              ),
            500,
          );
          monitor.start();
          let load: LoadStats;
          let workerLag: { p99: number; max: number } | undefined;
          if (pool) {
            const pooled = await pool.run(scenario, {
              durationMs: scenario.durationMs,
              maxRequests: scenario.maxRequests,
              goodput,
              warmup: false,
            });
            rec = createRunRecorder(goodput);
            rec.merge(pooled.run);
            load = pooled.load;
            workerLag = { p99: pooled.eventLoopLagP99Ms, max: pooled.eventLoopLagMaxMs };
          } else
            load = await drive(
              client,
              scenario,
              work,
              (o) => {
                done++;
                rec.record(o);
                jsonl?.write(
                  `${JSON.stringify({
                    scenario: scenario.name,
                    transport: t.name,
                    round,
                    seq: o.seq,
                    code: o.code,
                    ttftMs: o.metrics.ttftMs,
                    e2eMs: o.metrics.e2eMs,
                    tpotMs: o.metrics.perTokenMs,
                    stallMs: o.metrics.longestStallMs,
                    sendLagMs: o.metrics.sendLagMs,
                    tokens: o.metrics.tokens,
                    verified: o.verify?.ok,
                    error: o.error,
                  })}\n`,
                );
              },
              scenario.durationMs,
              scenario.maxRequests,
            );
          const gen = monitor.stop();
          if (workerLag) {
            gen.eventLoopLagP99Ms = Math.max(gen.eventLoopLagP99Ms, workerLag.p99);
            gen.eventLoopLagMaxMs = Math.max(gen.eventLoopLagMaxMs, workerLag.max);
            // CPU is process-wide (every thread); per-core utilization is what matters for a bottleneck.
            gen.cpuUtilization /= cfg.workers ?? 1;
          }
          clearInterval(tick);
          const after = await server.stats();
          const run = rec.toJSON();
          const secs = load.elapsedMs / 1000;
          const cost = costBetween(before, after, t.statsKey, run.requests, run.tokens, gen.cpuMicros);
          const win: WindowResult = {
            transport: t.name,
            round,
            order: pos,
            load,
            run,
            cost,
            generator: gen,
            rps: run.ok / secs,
            tokensPerSec: run.tokens / secs,
            errorRate: run.requests > 0 ? (run.requests - run.ok) / run.requests : 0,
            goodputRatio: run.requests > 0 ? run.good / run.requests : 0,
          };
          const warning = generatorWarning(
            gen,
            scenario.load.mode === "open"
              ? { offeredRps: load.offeredRps, achievedRps: load.achievedRps, sendLagP99Ms: run.summaries.sendLag.p99 }
              : undefined,
          );
          if (warning) win.warning = warning;
          windows.push(win);
          const errs = Object.entries(run.errors)
            .map(([k, v]) => `${k}=${v}`)
            .join(" ");
          p.line(
            `  r${round} ${t.name.padEnd(12)} ${win.rps.toFixed(0).padStart(6)} req/s  ttft p50 ${run.summaries.ttft.p50.toFixed(2)} p99 ${run.summaries.ttft.p99.toFixed(2)} ms  e2e p99 ${run.summaries.e2e.p99.toFixed(2)} ms  srv ${cost.serverCpuPerRequestUs.toFixed(0)} µs/req  ${cost.bytesPerRequest.toFixed(0)} B/req${errs ? `  errors ${errs}` : ""}${run.verify.failedStreams ? `  VERIFY-FAILED ${run.verify.failedStreams}` : ""}${warning ? "  (generator-bound)" : ""}`,
          );
        }
      }
      const summaries = active.map((t) =>
        summarizeWindows(
          t.name,
          windows.filter((x) => x.transport === t.name),
          cfg.slos,
        ),
      );
      scenarioResults.push({ scenario, windows, summaries });
    }

    if (cfg.sweep) {
      const sw = cfg.sweep;
      for (const s of servers.values()) await s.configureEngine({ ...sw.scenario.workload.engine });
      const work = createWorkSource(sw.scenario.workload);
      const results: SweepResult[] = [];
      p.line(
        `sweep: ${sw.scenario.name} workload, open loop from ${sw.startRps} req/s ×${sw.factor} until ${sw.slos.map((x) => x.source).join(", ")} breaks`,
      );
      for (const t of active) {
        const client = clients.get(t.name)!;
        const points: SweepPoint[] = [];
        let rate = sw.startRps;
        let kneeRps: number | undefined;
        let stoppedBecause = `reached ${sw.maxSteps} steps`;
        for (let step = 0; step < sw.maxSteps; step++) {
          p.status(`sweep · ${t.name}: ${rate} req/s`);
          // A breach is confirmed by repeating the step once: one scheduling hiccup on a shared machine must not
          // end the sweep.
          for (let attempt = 0; attempt < 2; attempt++) {
            const rec = createRunRecorder();
            await runClosedLoop({
              client,
              work,
              onOutcome: () => {},
              concurrency: 8,
              durationMs: Math.min(300, sw.stepMs),
              maxRequests: Number.MAX_SAFE_INTEGER,
            });
            const load = await runOpenLoop({
              client,
              work,
              onOutcome: rec.record,
              ratePerSec: rate,
              arrival: "constant",
              durationMs: sw.stepMs,
              maxRequests: Number.MAX_SAFE_INTEGER,
              drainMs: 5000,
              callTimeoutMs: 10_000,
            });
            const run = rec.toJSON();
            const errorRate = run.requests > 0 ? (run.requests - run.ok) / run.requests : 1;
            const verdict = evaluateSlos(sw.slos, {
              latency: run.summaries,
              errorRate,
              rps: load.achievedRps,
              tokensPerSec: run.tokens / (load.elapsedMs / 1000),
              goodputRatio: run.requests > 0 ? run.good / run.requests : 0,
            });
            const keptUp = load.achievedRps >= 0.9 * load.offeredRps;
            const sloOk = verdict.every((v) => v.ok) && keptUp;
            points.push({
              offeredRps: load.offeredRps,
              achievedRps: load.achievedRps,
              ttftP50: run.summaries.ttft.p50,
              ttftP99: run.summaries.ttft.p99,
              e2eP99: run.summaries.e2e.p99,
              errorRate,
              sloOk,
            });
            p.line(
              `  sweep ${t.name.padEnd(12)} offered ${load.offeredRps.toFixed(0).padStart(6)} achieved ${load.achievedRps.toFixed(0).padStart(6)} req/s  ttft p99 ${run.summaries.ttft.p99.toFixed(2)} ms  ${sloOk ? "ok" : attempt === 0 ? "breach, repeating the step" : "BREACH"}`,
            );
            if (sloOk) break;
            if (attempt === 0) {
              points.pop();
              continue;
            }
            const broken = verdict.filter((v) => !v.ok).map((v) => `${v.slo.source} (measured ${v.actual.toFixed(3)})`);
            if (!keptUp)
              broken.push(
                `achieved ${load.achievedRps.toFixed(0)} < 90% of offered ${load.offeredRps.toFixed(0)} req/s`,
              );
            stoppedBecause = `at ${rate} req/s (twice): ${broken.join("; ")}`;
          }
          if (!points[points.length - 1].sloOk) break;
          kneeRps = rate;
          rate = Math.round(rate * sw.factor);
        }
        const r: SweepResult = { transport: t.name, points, stoppedBecause };
        if (kneeRps !== undefined) r.kneeRps = kneeRps;
        results.push(r);
      }
      sweep = { scenario: sw.scenario.name, slos: sw.slos.map((s) => s.source), results };
    }
    for (const [kind, s] of servers) {
      const st = await s.stats().catch(() => undefined);
      const info: ProcessInfo = {
        name: kind,
        pid: s.pid,
        startupMs: s.startupMs,
        maxRssBytes: st?.maxRssBytes ?? Number.NaN,
      };
      if (cfg.serverCpus) info.cpus = cfg.serverCpus;
      processes.push(info);
    }
  } finally {
    p.done();
    for (const w of pools.values()) await w.close().catch(() => {});
    for (const c of clients.values()) await c.close().catch(() => {});
    for (const s of servers.values()) await s.close().catch(() => {});
    await rm(socketDir, { recursive: true, force: true });
    if (jsonl) await new Promise<void>((r) => jsonl.end(r));
  }

  const verification = { streams: 0, failedStreams: 0, lost: 0, duplicated: 0, outOfOrder: 0, mismatched: 0 };
  const sloBreaches: BenchResult["sloBreaches"] = [];
  const generatorWarnings: string[] = [];
  for (const sr of scenarioResults) {
    for (const s of sr.summaries) {
      for (const k of Object.keys(verification) as Array<keyof typeof verification>)
        verification[k] += s.merged.verify[k];
      for (const v of s.slo)
        if (!v.ok)
          sloBreaches.push({ scenario: sr.scenario.name, transport: s.transport, slo: v.slo.source, actual: v.actual });
      for (const w of s.warnings) generatorWarnings.push(`${sr.scenario.name} / ${s.transport}: ${w}`);
    }
  }
  const exitCode =
    verification.failedStreams + verification.duplicated + verification.outOfOrder + verification.mismatched > 0
      ? ExitCode.VerificationFailed
      : sloBreaches.length > 0
        ? ExitCode.SloBreached
        : ExitCode.Ok;
  return {
    schema: RESULT_SCHEMA,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    durationMs: performance.now() - t0,
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? "unknown",
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      loadavg: loadavg(),
    },
    repeats: cfg.repeats,
    transports: cfg.transports.map((t) => ({ name: t.name, description: t.description, reference: t.reference })),
    skipped,
    processes,
    scenarios: scenarioResults,
    ...(sweep ? { sweep } : {}),
    slos: cfg.slos.map((s) => s.source),
    sloBreaches,
    verification,
    generatorWarnings,
    recommendation: [],
    exitCode,
  };
}
