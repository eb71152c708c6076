import type { ClientStats, InferenceClient } from "@modelwire/core";
import { openSchedule } from "./arrivals.js";
import { clientBytes } from "./client-bytes.js";
import { costFigures } from "./cost.js";
import type { Target } from "./fleet.js";
import { type GeneratorMonitor, generatorWarning } from "./generator-monitor.js";
import { type LoadStats, runClosedLoop, runOpenLoop } from "./load.js";
import { createPoolSampler, type PoolFigures, type PoolSampler, sumClientStats } from "./pool-sampler.js";
import type { Progress } from "./progress.js";
import { createRunRecorder, type GoodputBounds, type RecordedRun } from "./recorder.js";
import { spreadBetween } from "./report/upstream-spread.js";
import type { CostFigures, Scenario, WindowResult } from "./result.js";
import type { ProcessStats } from "./server-process.js";
import type { StreamOutcome, WorkItem } from "./stream-call.js";
import { splitLoad } from "./worker-pool.js";
import type { WorkMode } from "./workload.js";

/** One measured window: a transport, a scenario and where the window sits in the run. */
export interface WindowSpec {
  target: Target;
  scenario: Scenario;
  /** The requests to send, by sequence number. */
  work: (seq: number) => WorkItem;
  /** The engine they go to (worker threads build their own work source from it). */
  mode: WorkMode;
  /** Which requests count as good (goodput). */
  goodput: GoodputBounds;
  /** The round (1-based) of `rounds`, and the position within it (transports are interleaved). */
  round: number;
  rounds: number;
  order: number;
  /** Measures the load generator itself over the window. */
  monitor: GeneratorMonitor;
  /** Worker threads per transport (a pooled window's CPU is divided by it to get per-core use). */
  workers: number;
  progress: Progress;
  /** Sees every outcome of the measured part (in-process generator only; not with worker threads). */
  onOutcome?: (o: StreamOutcome) => void;
}

/** Drives `scenario`'s load (closed or open loop) from this thread for `durationMs`. */
export function driveLoad(
  client: InferenceClient,
  scenario: Scenario,
  work: (seq: number) => WorkItem,
  onOutcome: (o: StreamOutcome) => void,
  durationMs: number,
  maxRequests: number,
): Promise<LoadStats> {
  const base = { client, work, onOutcome, durationMs, maxRequests, callTimeoutMs: 30_000, drainMs: 10_000 };
  return scenario.load.mode === "closed"
    ? runClosedLoop({ ...base, concurrency: scenario.load.concurrency, rampMs: scenario.load.rampMs })
    : runOpenLoop({ ...base, ...openSchedule(scenario.load, scenario.workload) });
}

/** Server and generator cost between two reads of the server's figures. */
export function costBetween(
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
  return costFigures(
    {
      serverCpuMicros: cpu,
      bytesIn: b1.bytesIn - b0.bytesIn,
      bytesOut: b1.bytesOut - b0.bytesOut,
      serverRssBytes: after.rssBytes,
      serverMaxRssBytes: after.maxRssBytes,
    },
    requests,
    tokens,
    generatorCpuMicros,
  );
}

/**
 * The cost of a window on a server the bench cannot read (a foreign target without `--admin`): the server's CPU
 * and RSS are NaN (reported as not measured, never as zero); the bytes are the client's sockets' counts.
 */
export function clientSideCost(
  bytes: { bytesIn: number; bytesOut: number },
  requests: number,
  tokens: number,
  generatorCpuMicros: number,
): CostFigures {
  return {
    ...costFigures(
      {
        serverCpuMicros: Number.NaN,
        // What the server read is what the client wrote, and the other way round.
        bytesIn: bytes.bytesOut,
        bytesOut: bytes.bytesIn,
        serverRssBytes: Number.NaN,
        serverMaxRssBytes: Number.NaN,
      },
      requests,
      tokens,
      generatorCpuMicros,
    ),
    serverMeasured: false,
    bytesCountedOn: "client",
  };
}

/** What the measured part of a window produced, from this thread or from worker threads. */
interface Measured {
  run: RecordedRun;
  load: LoadStats;
  workerLag?: { p99: number; max: number };
  /** Worker processes' own CPU, which this process's CPU clock does not include. */
  processCpu?: { cpuMicros: number; maxUtilization: number };
  pool?: PoolFigures;
  /** Bytes the client(s) moved during the measured part. */
  clientBytes: { bytesIn: number; bytesOut: number };
}

/**
 * The measured part, its pool sampled throughout: this thread's client, or the sum of the worker threads'
 * clients (each worker reports its pool and its finished count every POOL_SAMPLE_MS).
 */
async function measure(spec: WindowSpec, sampler: (read: () => ClientStats | undefined) => PoolSampler) {
  const { target, scenario, goodput, progress } = spec;
  if (target.pool) {
    const latest = new Map<number, ClientStats>();
    const completed = new Map<number, number>();
    // Sampled once every worker with a share has reported, so the counters' baseline covers all of them.
    const sharing = splitLoad(scenario.load, target.pool.size).length;
    const pool = sampler(() => (latest.size >= sharing ? sumClientStats([...latest.values()]) : undefined));
    pool.start();
    const pooled = await target.pool.run(
      scenario,
      { durationMs: scenario.durationMs, maxRequests: scenario.maxRequests, goodput, warmup: false, mode: spec.mode },
      (worker, live) => {
        latest.set(worker, live.stats);
        progress.count(live.completed - (completed.get(worker) ?? 0));
        completed.set(worker, live.completed);
      },
    );
    for (const [i, s] of pooled.endStats.entries()) latest.set(i, s);
    const poolFigures = pool.stop();
    const rec = createRunRecorder(goodput);
    rec.merge(pooled.run);
    return {
      run: rec.toJSON(),
      load: pooled.load,
      workerLag: { p99: pooled.eventLoopLagP99Ms, max: pooled.eventLoopLagMaxMs },
      ...(pooled.processCpu ? { processCpu: pooled.processCpu } : {}),
      pool: poolFigures,
      clientBytes: pooled.clientBytes,
    };
  }
  const bytes0 = clientBytes(target.client);
  const rec = createRunRecorder(goodput);
  const pool = sampler(() => target.client.stats());
  pool.start();
  const load = await driveLoad(
    target.client,
    scenario,
    spec.work,
    (o) => {
      progress.count();
      rec.record(o);
      spec.onOutcome?.(o);
    },
    scenario.durationMs,
    scenario.maxRequests,
  );
  const bytes1 = clientBytes(target.client);
  return {
    run: rec.toJSON(),
    load,
    pool: pool.stop(),
    clientBytes: { bytesIn: bytes1.bytesIn - bytes0.bytesIn, bytesOut: bytes1.bytesOut - bytes0.bytesOut },
  };
}

/**
 * Runs one window: warm-up (excluded from every figure), then the measured part with the server's figures read
 * before and after it and the generator monitored, and returns its result with a warning when the generator was
 * the bottleneck.
 */
export async function measureWindow(spec: WindowSpec): Promise<WindowResult> {
  const p = spec.progress;
  p.begin(`${spec.scenario.name} r${spec.round}/${spec.rounds} · ${spec.target.transport.name}`);
  try {
    return await runWindow(spec);
  } finally {
    p.end();
  }
}

async function runWindow(spec: WindowSpec): Promise<WindowResult> {
  const { target, scenario, progress: p } = spec;
  const name = target.transport.name;
  if (scenario.warmupMs > 0) p.status("warming up");
  if (scenario.warmupMs <= 0) {
    // no warm-up
  } else if (target.pool)
    await target.pool.run(scenario, {
      durationMs: scenario.warmupMs,
      maxRequests: Number.MAX_SAFE_INTEGER,
      goodput: spec.goodput,
      warmup: true,
      mode: spec.mode,
    });
  else await driveLoad(target.client, scenario, spec.work, () => {}, scenario.warmupMs, Number.MAX_SAFE_INTEGER);

  const readServer = target.stats;
  const before = readServer ? await readServer() : undefined;
  const startedAtMs = Date.now();
  p.status("measuring");
  spec.monitor.start();
  const measured: Measured = await measure(spec, (read) => createPoolSampler(read));
  const gen = spec.monitor.stop();
  const { run, load, workerLag, processCpu, pool } = measured;
  if (workerLag) {
    gen.eventLoopLagP99Ms = Math.max(gen.eventLoopLagP99Ms, workerLag.p99);
    gen.eventLoopLagMaxMs = Math.max(gen.eventLoopLagMaxMs, workerLag.max);
    if (processCpu) {
      // Worker processes: their CPU is added to this one's; the busiest process is the bottleneck.
      gen.cpuUtilization = Math.max(gen.cpuUtilization, processCpu.maxUtilization);
      gen.cpuMicros += processCpu.cpuMicros;
    } else {
      // CPU is process-wide (every thread); per-core utilization is what matters for a bottleneck.
      gen.cpuUtilization /= spec.workers;
    }
  }
  const after = readServer ? await readServer() : undefined;
  const secs = load.elapsedMs / 1000;
  const win: WindowResult = {
    transport: name,
    round: spec.round,
    order: spec.order,
    load,
    run,
    cost:
      before && after
        ? costBetween(before, after, target.transport.statsKey, run.requests, run.tokens, gen.cpuMicros)
        : clientSideCost(measured.clientBytes, run.requests, run.tokens, gen.cpuMicros),
    generator: gen,
    rps: run.ok / secs,
    tokensPerSec: run.tokens / secs,
    errorRate: run.requests > 0 ? (run.requests - run.ok) / run.requests : 0,
    goodputRatio: run.requests > 0 ? run.good / run.requests : 0,
    startedAtMs,
  };
  if (pool) win.pool = pool;
  const spread = before && after ? spreadBetween(before, after) : undefined;
  if (spread) win.upstreams = spread;
  const warning = generatorWarning(
    gen,
    scenario.load.mode === "open"
      ? { offeredRps: load.offeredRps, achievedRps: load.achievedRps, sendLagP99Ms: run.summaries.sendLag.p99 }
      : undefined,
  );
  if (warning) win.warning = warning;
  return win;
}

/** The progress line for a finished window. */
export function windowLine(win: WindowResult): string {
  const { run, cost } = win;
  const s = run.summaries;
  const errs = Object.entries(run.errors)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
  return (
    `  r${win.round} ${win.transport.padEnd(12)} ${win.rps.toFixed(0).padStart(6)} req/s` +
    `  ttft p50 ${s.ttft.p50.toFixed(2)} p99 ${s.ttft.p99.toFixed(2)} ms  e2e p99 ${s.e2e.p99.toFixed(2)} ms` +
    `${s.overhead?.count ? `  +wire p50 ${(s.overhead.p50 * 1000).toFixed(0)} µs` : ""}` +
    `  srv ${Number.isFinite(cost.serverCpuPerRequestUs) ? `${cost.serverCpuPerRequestUs.toFixed(0)} µs/req` : "not measured"}  ${cost.bytesPerRequest.toFixed(0)} B/req` +
    `${errs ? `  errors ${errs}` : ""}${run.verify.failedStreams ? `  VERIFY-FAILED ${run.verify.failedStreams}` : ""}` +
    `${win.warning ? "  (generator-bound)" : ""}`
  );
}
