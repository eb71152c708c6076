import { Worker } from "node:worker_threads";
import type { ListenAddress } from "@modelwire/core";
import { nestShare } from "./agents/agent-share.js";
import type { LoadStats } from "./load.js";
import type { WorkerReply, WorkerTask } from "./load-worker.js";
import { createRunRecorder, type GoodputBounds, type RecordedRun } from "./recorder.js";
import type { LoadSpec, Scenario } from "./result.js";

/** The merged outcome of one window run across worker threads. */
export interface PooledWindow {
  run: RecordedRun;
  load: LoadStats;
  eventLoopLagP99Ms: number;
  eventLoopLagMaxMs: number;
}

/** Load-generator worker threads for one transport. */
export interface LoadWorkers {
  readonly size: number;
  /** Runs one window split across the workers and merges their figures. */
  run(
    scenario: Scenario,
    opts: { durationMs: number; maxRequests: number; goodput: GoodputBounds; warmup: boolean },
  ): Promise<PooledWindow>;
  close(): Promise<void>;
}

/** Splits a load across `n` workers: concurrency by integer shares, rate evenly. Workers with no share get none. */
export function splitLoad(load: LoadSpec, n: number): LoadSpec[] {
  if (load.mode === "closed") {
    const out: LoadSpec[] = [];
    for (let i = 0; i < n; i++) {
      const c = Math.floor(load.concurrency / n) + (i < load.concurrency % n ? 1 : 0);
      if (c > 0) out.push({ mode: "closed", concurrency: c });
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

const WORKER_URL = new URL(`./load-worker.${import.meta.url.endsWith(".ts") ? "ts" : "js"}`, import.meta.url);

/** Starts `n` worker threads, each with its own client for `transport`. */
export async function startLoadWorkers(
  n: number,
  transport: string,
  addresses: readonly ListenAddress[],
  connections?: number,
): Promise<LoadWorkers> {
  const fromSource = import.meta.url.endsWith(".ts");
  // From TypeScript sources (tests) the worker registers tsx's loader before importing the worker module.
  const spawn = () =>
    fromSource
      ? new Worker(
          `import("tsx/esm/api").then((m) => { m.register(); return import(${JSON.stringify(WORKER_URL.href)}); });`,
          { eval: true, workerData: { transport, addresses, connections } },
        )
      : new Worker(WORKER_URL, { workerData: { transport, addresses, connections } });
  const workers = Array.from({ length: n }, spawn);
  let nextId = 1;
  const ask = (w: Worker, task: WorkerTask) =>
    new Promise<WorkerReply>((resolve, reject) => {
      const onMsg = (m: WorkerReply) => {
        if (m.id !== task.id) return;
        w.off("message", onMsg);
        w.off("error", onErr);
        if (m.error) reject(new Error(`worker: ${m.error}`));
        else resolve(m);
      };
      const onErr = (e: Error) => {
        w.off("message", onMsg);
        reject(e);
      };
      w.on("message", onMsg);
      w.once("error", onErr);
      w.postMessage(task);
    });
  return {
    size: n,
    async run(scenario, o) {
      const shares = splitLoad(scenario.load, n);
      const spacing = scenario.load.mode === "open" ? 1000 / scenario.load.ratePerSec : 0;
      const replies = await Promise.all(
        shares.map((load, i) =>
          ask(workers[i], {
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
          }),
        ),
      );
      const rec = createRunRecorder();
      for (const r of replies) rec.merge(r.run!);
      return {
        run: rec.toJSON(),
        load: mergeLoadStats(replies.map((r) => r.load!)),
        eventLoopLagP99Ms: Math.max(...replies.map((r) => r.eventLoopLagP99Ms ?? 0)),
        eventLoopLagMaxMs: Math.max(...replies.map((r) => r.eventLoopLagMaxMs ?? 0)),
      };
    },
    async close() {
      await Promise.all(
        workers.map(
          (w) =>
            new Promise<void>((resolve) => {
              const t = setTimeout(() => void w.terminate().then(() => resolve()), 5000);
              w.once("exit", () => {
                clearTimeout(t);
                resolve();
              });
              w.postMessage({ close: true });
            }),
        ),
      );
    },
  };
}
