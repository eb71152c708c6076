import { rename, writeFile } from "node:fs/promises";
import { rateArrivals } from "../arrivals.js";
import type { StreamOutcome, WorkItem } from "../stream-call.js";
import { promptText, type Workload } from "../workload.js";
import { sampleLength } from "../workload-shape.js";
import { formatTrace, TRACE_LIMITS, type TraceEntry } from "./trace-file.js";

/** What a synthetic trace is made of: an open-loop schedule over a window, and the workload's lengths. */
export interface SyntheticTraceSpec {
  ratePerSec: number;
  arrival: "constant" | "poisson";
  rampMs?: number;
  durationMs: number;
  /** At most this many lines (and never over the trace limit). */
  maxRequests: number;
  workload: Pick<Workload, "promptBytes" | "outputTokens" | "promptLength" | "outputLength" | "engine">;
}

/**
 * The trace an open loop with this schedule would send (seeded: the same spec gives the same file): line i arrives
 * at the schedule's i-th time, with the prompt the bench would send (its length drawn from the prompt
 * distribution for i) and max_tokens drawn from the output distribution.
 */
export function syntheticTrace(spec: SyntheticTraceSpec): TraceEntry[] {
  const w = spec.workload;
  const seed = w.engine.seed;
  const next = rateArrivals({ ratePerSec: spec.ratePerSec, arrival: spec.arrival, seed, rampMs: spec.rampMs });
  const out: TraceEntry[] = [];
  const cap = Math.min(spec.maxRequests, TRACE_LIMITS.requests);
  for (let i = 0; i < cap; i++) {
    const at = next();
    if (at === undefined || at >= spec.durationMs) break;
    out.push({
      offsetMs: at,
      prompt: promptText(i, sampleLength(w.promptLength, w.promptBytes, seed, 2 * i)),
      maxTokens: sampleLength(w.outputLength, w.outputTokens, seed, 2 * i + 1),
    });
  }
  return out;
}

/** Writes a trace file whole or not at all (a temporary file renamed over the path). */
export async function writeTraceFile(path: string, entries: readonly TraceEntry[]): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, formatTrace(entries));
  await rename(tmp, path);
}

/** Records what one window sent, to replay it later (`--record-trace`). */
export interface TraceRecorder {
  /** Sees one finished stream of the window being recorded. */
  record(o: StreamOutcome, item: WorkItem): void;
  /** The lines so far, in send order, offsets from the first send. */
  entries(): TraceEntry[];
}

/**
 * A recorder of sends: each generate request at its actual send time (intended start + schedule lag), its
 * prompt, max_tokens, and the model when `keepModel` (a real engine). Chat sessions are not recorded.
 */
export function createTraceRecorder(keepModel: boolean): TraceRecorder {
  const sent: Array<{ at: number; entry: Omit<TraceEntry, "offsetMs"> }> = [];
  return {
    record(o, item) {
      if (item.kind === "session" || item.kind === "chat" || sent.length >= TRACE_LIMITS.requests) return;
      const r = item.request;
      const maxTokens = r.options?.numPredict;
      sent.push({
        at: o.intendedStart + o.metrics.sendLagMs,
        entry: {
          prompt: r.prompt ?? "",
          ...(maxTokens !== undefined && maxTokens > 0 ? { maxTokens: Number(maxTokens) } : {}),
          ...(keepModel && r.model ? { model: r.model } : {}),
        },
      });
    },
    entries() {
      const sorted = [...sent].sort((a, b) => a.at - b.at);
      const t0 = sorted[0]?.at ?? 0;
      return sorted.map((s) => ({ offsetMs: s.at - t0, ...s.entry }));
    },
  };
}
