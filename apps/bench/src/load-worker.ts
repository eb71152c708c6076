/**
 * A load-generator worker thread: builds its own client for one transport and runs its share of each measured
 * window, so one event loop is not the bottleneck. Spawned by {@link startLoadWorkers}.
 */

import { monitorEventLoopDelay } from "node:perf_hooks";
import { parentPort, workerData } from "node:worker_threads";
import type { InferenceClient, ListenAddress } from "@modelwire/core";
import { delay } from "@modelwire/core";
import { type LoadStats, runClosedLoop, runOpenLoop } from "./load.js";
import { createRunRecorder, type GoodputBounds } from "./recorder.js";
import type { LoadSpec, Scenario } from "./result.js";
import { TRANSPORTS } from "./transports.js";
import { createWorkSource } from "./workload.js";

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
}

/** A worker's answer. */
export interface WorkerReply {
  id: number;
  error?: string;
  run?: ReturnType<ReturnType<typeof createRunRecorder>["toJSON"]>;
  load?: LoadStats;
  eventLoopLagP99Ms?: number;
  eventLoopLagMaxMs?: number;
}

const data = workerData as { transport: string; addresses: ListenAddress[]; connections?: number };
const port = parentPort!;
let client: InferenceClient | undefined;
const sources = new Map<string, ReturnType<typeof createWorkSource>>();
const eld = monitorEventLoopDelay({ resolution: 10 });

async function run(task: WorkerTask): Promise<WorkerReply> {
  if (!client) {
    const t = TRANSPORTS.find((x) => x.name === data.transport);
    if (!t) throw new Error(`unknown transport ${data.transport}`);
    client = await t.create(data.addresses, { connections: data.connections });
  }
  const key = JSON.stringify(task.scenario.workload);
  let work = sources.get(key);
  if (!work) {
    work = createWorkSource(task.scenario.workload);
    sources.set(key, work);
  }
  if (task.startDelayMs > 0) await delay(task.startDelayMs);
  const rec = createRunRecorder(task.goodput);
  eld.reset();
  eld.enable();
  const base = {
    client,
    work,
    onOutcome: task.warmup ? () => {} : rec.record,
    durationMs: task.durationMs,
    maxRequests: task.maxRequests,
    callTimeoutMs: 30_000,
    drainMs: 10_000,
  };
  const load =
    task.load.mode === "closed"
      ? await runClosedLoop({ ...base, concurrency: task.load.concurrency })
      : await runOpenLoop({
          ...base,
          ratePerSec: task.load.ratePerSec,
          arrival: task.load.arrival,
          maxInFlight: task.load.maxInFlight,
          seed: task.id,
        });
  eld.disable();
  return {
    id: task.id,
    run: rec.toJSON(),
    load,
    eventLoopLagP99Ms: eld.count > 0 ? eld.percentile(99) / 1e6 : 0,
    eventLoopLagMaxMs: eld.count > 0 ? eld.max / 1e6 : 0,
  };
}

port.on("message", (msg: WorkerTask | { close: true }) => {
  if ("close" in msg) {
    void (client?.close() ?? Promise.resolve()).finally(() => port.close());
    return;
  }
  run(msg).then(
    (reply) => port.postMessage(reply),
    (e: Error) => port.postMessage({ id: msg.id, error: e.message } satisfies WorkerReply),
  );
});
