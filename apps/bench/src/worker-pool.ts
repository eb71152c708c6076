import type { ClientStats } from "@modelwire/core";
import { nestShare } from "./agents/agent-share.js";
import type { LoadStats } from "./load.js";
import type { WorkerLive, WorkerReply, WorkerTask } from "./load-worker.js";
import { createRunRecorder, type GoodputBounds, type RecordedRun } from "./recorder.js";
import type { LoadSpec, Scenario } from "./result.js";
import type { Endpoint } from "./transports.js";
import { spawnLoadWorker, type WorkerChannel, type WorkerMode } from "./worker-spawn.js";
import type { WorkMode } from "./workload.js";

/** The merged outcome of one window run across worker threads. */
export interface PooledWindow {
  run: RecordedRun;
  load: LoadStats;
  eventLoopLagP99Ms: number;
  eventLoopLagMaxMs: number;
  /**
   * Worker processes only: their own CPU over the window (µs, added) and the busiest one's utilization (CPU / wall),
   * which the parent's CPU clock does not see.
   */
  processCpu?: { cpuMicros: number; maxUtilization: number; cpus: string[] };
  /** Each worker's client pool at the end of its share (measured windows). */
  endStats: ClientStats[];
  /** Bytes the workers' clients moved (summed). */
  clientBytes: { bytesIn: number; bytesOut: number };
}

/** Load-generator workers (threads or processes) for one transport. */
export interface LoadWorkers {
  readonly size: number;
  readonly mode: WorkerMode;
  /**
   * Runs one window split across the workers and merges their figures. `onLive` hears each worker's running
   * count and pool (measured windows only, every POOL_SAMPLE_MS).
   */
  run(
    scenario: Scenario,
    opts: { durationMs: number; maxRequests: number; goodput: GoodputBounds; warmup: boolean; mode: WorkMode },
    onLive?: (worker: number, live: WorkerLive["live"]) => void,
  ): Promise<PooledWindow>;
  close(): Promise<void>;
}

/** Splits a load across `n` workers: concurrency by integer shares, rate evenly. Workers with no share get none. */
export function splitLoad(load: LoadSpec, n: number): LoadSpec[] {
  if (load.mode === "closed") {
    const out: LoadSpec[] = [];
    for (let i = 0; i < n; i++) {
      const c = Math.floor(load.concurrency / n) + (i < load.concurrency % n ? 1 : 0);
      if (c > 0) out.push({ mode: "closed", concurrency: c, ...(load.rampMs ? { rampMs: load.rampMs } : {}) });
    }
    return out;
  }
  return Array.from({ length: n }, () => ({
    ...load,
    ratePerSec: load.ratePerSec / n,
    ...(load.maxInFlight ? { maxInFlight: Math.max(1, Math.ceil(load.maxInFlight / n)) } : {}),
  }));
}

/** Sums the load figures of parallel parts. */
export function mergeLoadStats(parts: LoadStats[]): LoadStats {
  const sum = (f: (s: LoadStats) => number) => parts.reduce((a, s) => a + f(s), 0);
  const elapsedMs = Math.max(...parts.map((s) => s.elapsedMs));
  const completed = sum((s) => s.completed);
  return {
    scheduled: sum((s) => s.scheduled),
    sent: sum((s) => s.sent),
    completed,
    cancelledAtDrain: sum((s) => s.cancelledAtDrain),
    elapsedMs,
    windowMs: Math.max(...parts.map((s) => s.windowMs)),
    offeredRps: sum((s) => s.offeredRps),
    achievedRps: completed / (elapsedMs / 1000),
    peakInFlight: sum((s) => s.peakInFlight),
  };
}

/** How the workers run: threads (default) or processes, these pinned to `cpus` round-robin when given. */
export interface WorkerOptions {
  mode?: WorkerMode;
  /** CPUs for worker processes (`--client-cpus`): worker i gets `cpus[i % cpus.length]`. */
  cpus?: readonly number[];
}

/** Starts `n` workers, each with its own client for `transport`. */
export async function startLoadWorkers(
  n: number,
  transport: string,
  endpoint: Endpoint,
  connections?: number,
  opts: WorkerOptions = {},
): Promise<LoadWorkers> {
  const mode = opts.mode ?? "thread";
  const cpus = opts.cpus && opts.cpus.length > 0 ? opts.cpus : undefined;
  const workers: WorkerChannel[] = Array.from({ length: n }, (_, i) =>
    spawnLoadWorker(mode, { transport, endpoint, connections }, cpus?.[i % cpus.length]),
  );
  let nextId = 1;
  const ask = (w: WorkerChannel, task: WorkerTask, onLive?: (live: WorkerLive["live"]) => void) =>
    new Promise<WorkerReply>((resolve, reject) => {
      const offMsg = w.onMessage((raw) => {
        const m = raw as WorkerReply | WorkerLive;
        if (m.id !== task.id) return;
        if ("live" in m) {
          onLive?.(m.live);
          return;
        }
        offMsg();
        offErr();
        if (m.error) reject(new Error(`worker: ${m.error}`));
        else resolve(m);
      });
      const offErr = w.onError((e) => {
        offMsg();
        offErr();
        reject(e);
      });
      w.post(task);
    });
  return {
    size: n,
    mode,
    async run(scenario, o, onLive) {
      const shares = splitLoad(scenario.load, n);
      // Rate shares interleave when worker i starts i/R later; a trace's offsets are absolute.
      const spacing =
        scenario.load.mode === "open" && scenario.load.arrival !== "trace" ? 1000 / scenario.load.ratePerSec : 0;
      const replies = await Promise.all(
        shares.map((load, i) =>
          ask(
            workers[i],
            {
              id: nextId++,
              // Each worker sends its own share of the request sequence (of the agent's share, with agents).
              scenario: {
                ...scenario,
                workload: {
                  ...scenario.workload,
                  share: nestShare(scenario.workload.share, { count: shares.length, index: i }),
                },
              },
              load,
              durationMs: o.durationMs,
              maxRequests: Math.max(1, Math.ceil(o.maxRequests / shares.length)),
              startDelayMs: spacing * i,
              goodput: o.goodput,
              warmup: o.warmup,
              mode: o.mode,
            },
            onLive && ((live) => onLive(i, live)),
          ),
        ),
      );
      const rec = createRunRecorder();
      for (const r of replies) rec.merge(r.run!);
      const pooled: PooledWindow = {
        run: rec.toJSON(),
        load: mergeLoadStats(replies.map((r) => r.load!)),
        eventLoopLagP99Ms: Math.max(...replies.map((r) => r.eventLoopLagP99Ms ?? 0)),
        eventLoopLagMaxMs: Math.max(...replies.map((r) => r.eventLoopLagMaxMs ?? 0)),
        endStats: replies.flatMap((r) => (r.stats ? [r.stats] : [])),
        clientBytes: {
          bytesIn: replies.reduce((a, r) => a + (r.clientBytes?.bytesIn ?? Number.NaN), 0),
          bytesOut: replies.reduce((a, r) => a + (r.clientBytes?.bytesOut ?? Number.NaN), 0),
        },
      };
      if (mode === "process")
        pooled.processCpu = {
          cpuMicros: replies.reduce((a, r) => a + (r.cpuMicros ?? 0), 0),
          maxUtilization: Math.max(
            ...replies.map((r) => (r.wallMs && r.wallMs > 0 ? (r.cpuMicros ?? 0) / 1000 / r.wallMs : 0)),
          ),
          cpus: replies.map((r) => r.cpus ?? "?"),
        };
      return pooled;
    },
    async close() {
      await Promise.all(
        workers.map(async (w) => {
          const t = setTimeout(() => w.kill(), 5000);
          w.post({ close: true });
          await w.exited;
          clearTimeout(t);
        }),
      );
    },
  };
}
