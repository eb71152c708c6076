import type { CallOptions, InferenceClient, ListenAddress } from "@modelwire/core";
import { createLatencyHistogram, type LatencyHistogram } from "../histogram.js";
import { type GenerateWork, runStreamCall, type StreamOutcome } from "../stream-call.js";
import { endpointFor, type TransportPlugin } from "../transports.js";

/** How one rung of the ladder calls the gateway. */
export interface StepMode {
  /** Calls in flight at once (closed loop). */
  concurrency: number;
  /** A new client (so a new connection) for every call, closed after it. */
  freshConnection: boolean;
  /** The gateway's response cache for these calls (`x-modelwire-cache`). */
  cache: "on" | "off";
}

/** What one measured step delivered. */
export interface StepMeasure {
  requests: number;
  errors: number;
  /** Streams whose tokens did not match the synthetic engine's (must be 0). */
  verifyFailures: number;
  elapsedMs: number;
  ttft: LatencyHistogram;
  e2e: LatencyHistogram;
  /** The first failure's message, if any. */
  firstError?: string;
}

/** Where a step sends its calls. */
export interface StepTarget {
  plugin: TransportPlugin;
  addresses: readonly ListenAddress[];
  /** The kept-alive client (pooled steps). */
  pooled: InferenceClient;
}

/** Bounds of one step. */
export interface StepBounds {
  durationMs: number;
  maxRequests: number;
  /**
   * Calls the step starts at least, even when that takes longer than `durationMs` (a loaded machine may finish
   * only a few calls in a short step: too few for a cache hit or a percentile). Default 0; `maxRequests` still caps.
   */
  minRequests?: number;
  /** First sequence number (each step continues the wire's sequence, so its unique prompts stay unique). */
  firstSeq: number;
  /** Called as each call ends (the progress display's live rate). */
  onCall?: () => void;
}

function failed(o: StreamOutcome): boolean {
  return o.code !== "ok";
}

/**
 * Runs one step: `mode.concurrency` loops, each sending its next call when the previous one ends, until the
 * duration has passed and `minRequests` calls were started, or the request cap. With `freshConnection` each call
 * creates its client and closes it afterwards, and its latency counts from before the client was created (the
 * connection set-up is what that step pays).
 */
export async function runStep(
  target: StepTarget,
  mode: StepMode,
  work: (seq: number) => GenerateWork,
  bounds: StepBounds,
): Promise<StepMeasure> {
  const ttft = createLatencyHistogram();
  const e2e = createLatencyHistogram();
  const options: CallOptions = { timeoutMs: 30_000, metadata: { "x-modelwire-cache": mode.cache } };
  let next = bounds.firstSeq;
  const last = bounds.firstSeq + bounds.maxRequests;
  const least = bounds.firstSeq + (bounds.minRequests ?? 0);
  let requests = 0;
  let errors = 0;
  let verifyFailures = 0;
  let firstError: string | undefined;
  const start = performance.now();
  const end = start + bounds.durationMs;
  const loop = async () => {
    while ((next < least || performance.now() < end) && next < last) {
      const seq = next++;
      const item = work(seq);
      const t0 = performance.now();
      let client = target.pooled;
      let outcome: StreamOutcome;
      if (mode.freshConnection) {
        try {
          client = await target.plugin.create(endpointFor(target.plugin, target.addresses), {
            connections: 1,
            streams: 1,
          });
        } catch (e) {
          errors++;
          requests++;
          firstError ??= (e as Error).message;
          continue;
        }
      }
      try {
        outcome = await runStreamCall(client, item, t0, seq, options);
      } finally {
        if (mode.freshConnection) await client.close();
      }
      requests++;
      bounds.onCall?.();
      if (failed(outcome)) {
        errors++;
        firstError ??= outcome.error;
        continue;
      }
      const v = outcome.verify;
      if (v && !v.ok) verifyFailures++;
      if (outcome.metrics.ttftMs !== undefined) ttft.recordMs(outcome.metrics.ttftMs);
      e2e.recordMs(outcome.metrics.e2eMs);
    }
  };
  await Promise.all(Array.from({ length: mode.concurrency }, loop));
  const out: StepMeasure = {
    requests,
    errors,
    verifyFailures,
    elapsedMs: performance.now() - start,
    ttft,
    e2e,
  };
  if (firstError !== undefined) out.firstError = firstError;
  return out;
}
