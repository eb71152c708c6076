/**
 * Connection-pool figures of one measured window: the client's {@link ClientStats} sampled at a fixed interval
 * while the load runs, reduced to peak and mean per gauge plus what the counters moved by.
 *
 * @module
 */
import type { ClientStats } from "@modelwire/core";
import { clampTimerMs } from "@modelwire/core";

/** Peak and mean of one gauge over a window's samples. */
export interface GaugeFigures {
  peak: number;
  mean: number;
}

/** One transport's pool over one window (see docs/bench.md, "Connection pools"). */
export interface PoolFigures {
  /** Samples taken (at the start, every `intervalMs`, and at the end). */
  samples: number;
  intervalMs: number;
  /** Connections open, calls in flight on them, open connections with no call, calls waiting for a connection. */
  open: GaugeFigures;
  active: GaugeFigures;
  idle: GaugeFigures;
  queued: GaugeFigures;
  /** Share of samples with at least one call queued: the pool (or the stream limit) held calls back. */
  queuedShare: number;
  /** Connections opened during the window (counter difference); absent when the client does not count them. */
  opened?: number;
  /** Reconnects during the window; absent when the transport has no such notion. */
  reconnects?: number;
}

/** Adds the figures of clients that share a load (worker threads, each with its own client). */
export function sumClientStats(parts: readonly ClientStats[]): ClientStats | undefined {
  if (parts.length === 0) return undefined;
  const sum = (f: (s: ClientStats) => number | undefined): number | undefined =>
    parts.some((p) => f(p) === undefined) ? undefined : parts.reduce((a, p) => a + (f(p) ?? 0), 0);
  const out: ClientStats = {
    transport: parts[0].transport,
    open: sum((s) => s.open) ?? 0,
    active: sum((s) => s.active) ?? 0,
    idle: sum((s) => s.idle) ?? 0,
    queued: sum((s) => s.queued) ?? 0,
  };
  const opened = sum((s) => s.opened);
  const reconnects = sum((s) => s.reconnects);
  if (opened !== undefined) out.opened = opened;
  if (reconnects !== undefined) out.reconnects = reconnects;
  return out;
}

/**
 * One window's pools of several load generators (`--agents`), each with its own client: means, connections opened
 * and reconnects add up; the peaks are added too, which is an upper bound (the agents' peaks need not coincide);
 * the queued share is the largest agent's (at least that share of samples had a call waiting somewhere). Undefined
 * when a part has no pool figures.
 */
export function combinePools(parts: ReadonlyArray<PoolFigures | undefined>): PoolFigures | undefined {
  if (parts.length === 0 || parts.some((p) => p === undefined)) return undefined;
  const ps = parts as PoolFigures[];
  const sum = (f: (p: PoolFigures) => number) => ps.reduce((a, p) => a + f(p), 0);
  const gauge = (k: "open" | "active" | "idle" | "queued"): GaugeFigures => ({
    peak: sum((p) => p[k].peak),
    mean: sum((p) => p[k].mean),
  });
  const out: PoolFigures = {
    samples: Math.min(...ps.map((p) => p.samples)),
    intervalMs: ps[0].intervalMs,
    open: gauge("open"),
    active: gauge("active"),
    idle: gauge("idle"),
    queued: gauge("queued"),
    queuedShare: Math.max(...ps.map((p) => p.queuedShare)),
  };
  if (ps.every((p) => p.opened !== undefined)) out.opened = sum((p) => p.opened ?? 0);
  if (ps.every((p) => p.reconnects !== undefined)) out.reconnects = sum((p) => p.reconnects ?? 0);
  return out;
}

/** Collects samples; {@link PoolAccumulator.figures} reduces them. */
export interface PoolAccumulator {
  add(s: ClientStats): void;
  /** The window's figures, or undefined when nothing was sampled. */
  figures(intervalMs: number): PoolFigures | undefined;
}

/** A pure accumulator of samples (the sampler's clock-free part). */
export function createPoolAccumulator(): PoolAccumulator {
  const gauges = ["open", "active", "idle", "queued"] as const;
  const peak = { open: 0, active: 0, idle: 0, queued: 0 };
  const total = { open: 0, active: 0, idle: 0, queued: 0 };
  let n = 0;
  let queuedSamples = 0;
  let first: ClientStats | undefined;
  let last: ClientStats | undefined;
  return {
    add(s) {
      n++;
      for (const g of gauges) {
        peak[g] = Math.max(peak[g], s[g]);
        total[g] += s[g];
      }
      if (s.queued > 0) queuedSamples++;
      first ??= s;
      last = s;
    },
    figures(intervalMs) {
      if (n === 0 || !first || !last) return undefined;
      const g = (k: (typeof gauges)[number]): GaugeFigures => ({ peak: peak[k], mean: total[k] / n });
      const out: PoolFigures = {
        samples: n,
        intervalMs,
        open: g("open"),
        active: g("active"),
        idle: g("idle"),
        queued: g("queued"),
        queuedShare: queuedSamples / n,
      };
      if (first.opened !== undefined && last.opened !== undefined) out.opened = last.opened - first.opened;
      if (first.reconnects !== undefined && last.reconnects !== undefined)
        out.reconnects = last.reconnects - first.reconnects;
      return out;
    },
  };
}

/** How often a window's pool is sampled, ms. */
export const POOL_SAMPLE_MS = 100;

/** Samples `read` every `intervalMs` between `start()` and `stop()` (and once at each end). */
export interface PoolSampler {
  start(): void;
  stop(): PoolFigures | undefined;
}

/**
 * Creates a sampler of `read` (the transport's client, or the sum over worker threads' clients; undefined = nothing
 * to read yet). A read that throws is skipped: pool figures never fail a window.
 */
export function createPoolSampler(read: () => ClientStats | undefined, intervalMs = POOL_SAMPLE_MS): PoolSampler {
  let acc = createPoolAccumulator();
  let timer: NodeJS.Timeout | undefined;
  const sample = () => {
    try {
      const s = read();
      if (s) acc.add(s);
    } catch {
      // a client that cannot report now is left out of this sample
    }
  };
  return {
    start() {
      acc = createPoolAccumulator();
      sample();
      timer = setInterval(sample, clampTimerMs(intervalMs));
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      sample();
      return acc.figures(intervalMs);
    },
  };
}
