/**
 * A load-generator worker, a thread or a process of its own (`--worker-mode`): builds its own client for one
 * transport and runs its share of each measured window, so one event loop is not the bottleneck. Spawned by
 * {@link startLoadWorkers} through `worker-spawn.ts`.
 */

import { readFileSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parentPort, workerData } from "node:worker_threads";
import type { ClientStats, InferenceClient } from "@modelwire/core";
import { delay } from "@modelwire/core";
import { openSchedule } from "./arrivals.js";
import { clientBytes } from "./client-bytes.js";
import { type LoadStats, runClosedLoop, runOpenLoop } from "./load.js";
import { POOL_SAMPLE_MS } from "./pool-sampler.js";
import { createRunRecorder, type GoodputBounds } from "./recorder.js";
import type { LoadSpec, Scenario } from "./result.js";
import { type Endpoint, TRANSPORTS } from "./transports.js";
import { WORKER_DATA_ENV } from "./worker-spawn.js";
import { createWorkSource, type WorkMode } from "./workload.js";

/** A window to run. */
export interface WorkerTask {
  id: number;
  scenario: Scenario;
  /** This worker's share of the load. */
  load: LoadSpec;
  durationMs: number;
  maxRequests: number;
  /** Wait before starting (spreads constant-rate schedules across workers). */
  startDelayMs: number;
  goodput: GoodputBounds;
  /** Warm-up: run but report nothing but the count. */
  warmup: boolean;
  /** The engine the requests go to (decides verification and the model). */
  mode: WorkMode;
}

/** What a worker reports while it runs a measured window (every {@link POOL_SAMPLE_MS}). */
export interface WorkerLive {
  id: number;
  live: {
    /** Streams finished so far in this window. */
    completed: number;
    /** The worker's client's pool now. */
    stats: ClientStats;
  };
}

/** A worker's answer. */
export interface WorkerReply {
  id: number;
  error?: string;
  run?: ReturnType<ReturnType<typeof createRunRecorder>["toJSON"]>;
  load?: LoadStats;
  eventLoopLagP99Ms?: number;
  eventLoopLagMaxMs?: number;
  /** Bytes this worker's client moved during the run (its sockets' counters). */
  clientBytes?: { bytesIn: number; bytesOut: number };
  /** A worker process's own CPU (user + system) over the window, µs (a thread's is its parent's). */
  cpuMicros?: number;
  /** A worker process's wall time over the window, ms. */
  wallMs?: number;
  /** A worker process's allowed CPUs (Linux `Cpus_allowed_list`), when readable. */
  cpus?: string;
  /** The worker's client's pool at the end of the window. */
  stats?: ClientStats;
}

/** The two ends a worker talks through: its parent port (thread) or its IPC channel (process). */
interface Port {
  on(f: (m: WorkerTask | { close: true }) => void): void;
  post(m: WorkerReply | WorkerLive): void;
  close(): void;
}

const isProcess = !parentPort;
const data = (isProcess ? JSON.parse(process.env[WORKER_DATA_ENV] ?? "{}") : workerData) as {
  transport: string;
  endpoint: Endpoint;
  connections?: number;
};
const port: Port = parentPort
  ? {
      on: (f) => parentPort!.on("message", f),
      post: (m) => parentPort!.postMessage(m),
      close: () => parentPort!.close(),
    }
  : {
      on: (f) => process.on("message", f as (m: unknown) => void),
      post: (m) => process.send?.(m),
      close: () => process.disconnect?.(),
    };
// A worker process whose parent went away has nothing left to do.
if (isProcess) process.on("disconnect", () => process.exit(0));

function allowedCpus(): string | undefined {
  try {
    return /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
  } catch {
    return undefined;
  }
}
let client: InferenceClient | undefined;
const sources = new Map<string, ReturnType<typeof createWorkSource>>();
const eld = monitorEventLoopDelay({ resolution: 10 });

async function run(task: WorkerTask): Promise<WorkerReply> {
  if (!client) {
    const t = TRANSPORTS.find((x) => x.name === data.transport);
    if (!t) throw new Error(`unknown transport ${data.transport}`);
    client = await t.create(data.endpoint, { connections: data.connections });
  }
  // A trace's lines are named by its digest in the key, not copied into it.
  const key = JSON.stringify([task.scenario.workload, task.mode], (k, v) => (k === "entries" ? undefined : v));
  let work = sources.get(key);
  if (!work) {
    work = createWorkSource(task.scenario.workload, task.mode);
    sources.set(key, work);
  }
  const c = client;
  let completed = 0;
  const live = () => port.post({ id: task.id, live: { completed, stats: c.stats() } } satisfies WorkerLive);
  // The pool is sampled from the window's start (before the start delay), so its counters' baseline is the window's.
  const liveTimer = task.warmup ? undefined : setInterval(live, POOL_SAMPLE_MS);
  if (!task.warmup) live();
  try {
    return await runTask(task, c, work, () => completed++);
  } finally {
    clearInterval(liveTimer);
  }
}

async function runTask(
  task: WorkerTask,
  client: InferenceClient,
  work: ReturnType<typeof createWorkSource>,
  onDone: () => void,
): Promise<WorkerReply> {
  const bytes0 = clientBytes(client);
  if (task.startDelayMs > 0) await delay(task.startDelayMs);
  const rec = createRunRecorder(task.goodput);
  eld.reset();
  eld.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const base = {
    client,
    work,
    onOutcome: task.warmup
      ? () => {}
      : (o: Parameters<typeof rec.record>[0]) => {
          onDone();
          rec.record(o);
        },
    durationMs: task.durationMs,
    maxRequests: task.maxRequests,
    callTimeoutMs: 30_000,
    drainMs: 10_000,
  };
  const load =
    task.load.mode === "closed"
      ? await runClosedLoop({ ...base, concurrency: task.load.concurrency, rampMs: task.load.rampMs })
      : await runOpenLoop({ ...base, ...openSchedule(task.load, task.scenario.workload), seed: task.id });
  eld.disable();
  const cpu = process.cpuUsage(cpu0);
  const cpus = isProcess ? allowedCpus() : undefined;
  const bytes1 = clientBytes(client);
  return {
    id: task.id,
    run: rec.toJSON(),
    load,
    clientBytes: { bytesIn: bytes1.bytesIn - bytes0.bytesIn, bytesOut: bytes1.bytesOut - bytes0.bytesOut },
    eventLoopLagP99Ms: eld.count > 0 ? eld.percentile(99) / 1e6 : 0,
    eventLoopLagMaxMs: eld.count > 0 ? eld.max / 1e6 : 0,
    ...(isProcess ? { cpuMicros: cpu.user + cpu.system, wallMs: performance.now() - t0 } : {}),
    ...(cpus ? { cpus } : {}),
    stats: client.stats(),
  };
}

port.on((msg) => {
  if ("close" in msg) {
    void (client?.close() ?? Promise.resolve()).finally(() => port.close());
    return;
  }
  run(msg).then(
    (reply) => port.post(reply),
    (e: Error) => port.post({ id: msg.id, error: e.message } satisfies WorkerReply),
  );
});
