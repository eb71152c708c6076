import { setMaxListeners } from "node:events";
import type { CallOptions, InferenceClient } from "@modelwire/core";
import { delay, type LongTimeout, setLongTimeout } from "@modelwire/core";
import { type Arrivals, rampStartMs, rateArrivals } from "./arrivals.js";
import { runWork } from "./run-work.js";
import type { StreamOutcome, WorkItem } from "./stream-call.js";

/** Limits every load loop has: it stops at whichever comes first. */
export interface LoadBounds {
  /** How long to issue requests, in ms. */
  durationMs: number;
  /** At most this many requests. */
  maxRequests: number;
  /** Per-call timeout in ms (the call fails with DEADLINE_EXCEEDED). Default 30 s. */
  callTimeoutMs?: number;
  /** After the issuing window, how long in-flight calls may take to finish before they are cancelled. Default 10 s. */
  drainMs?: number;
  /** Stops issuing early when it fires. */
  signal?: AbortSignal;
}

/** Common inputs of both load models. */
export interface LoadInput extends LoadBounds {
  /** The transport under test. */
  client: InferenceClient;
  /** The request (or chat session) for sequence number `seq`. */
  work: (seq: number) => WorkItem;
  /** Called with every finished stream (each turn of a chat session is one). */
  onOutcome: (outcome: StreamOutcome) => void;
}

/** What a load loop did, apart from the per-stream figures. */
export interface LoadStats {
  /** Requests the schedule (or the workers) meant to send. */
  scheduled: number;
  /** Requests sent. */
  sent: number;
  /** Requests finished. */
  completed: number;
  /** Requests cancelled at the end of the drain window. */
  cancelledAtDrain: number;
  /** Wall time from the first intended send to the last completion, ms. */
  elapsedMs: number;
  /** Issuing window, ms. */
  windowMs: number;
  /** Offered rate: scheduled / window (open loop), requests/s. */
  offeredRps: number;
  /** Achieved rate: completed / elapsed, requests/s. */
  achievedRps: number;
  /** Highest number of streams in flight at once. */
  peakInFlight: number;
}

/** Open-loop (wrk2-style) options. */
export interface OpenLoopInput extends LoadInput {
  /** Target arrivals per second. */
  ratePerSec: number;
  /** Evenly spaced arrivals or Poisson (exponential gaps). Default constant. */
  arrival?: "constant" | "poisson";
  /** PRNG seed for Poisson gaps. */
  seed?: number;
  /** Streams allowed in flight; beyond it sends wait (their latency keeps counting from the intended time). */
  maxInFlight?: number;
  /** Ramp the rate up linearly from 0 over this many ms (see {@link rateArrivals}). */
  rampMs?: number;
  /**
   * The schedule itself instead of the rate (a trace): successive intended offsets from the start, ms, until it
   * returns undefined. `ratePerSec` is then only the offered rate the report quotes.
   */
  arrivals?: Arrivals;
}

/** Closed-loop options. */
export interface ClosedLoopInput extends LoadInput {
  /** Concurrent streams: each worker sends its next request when the previous one ends. */
  concurrency: number;
  /** Ramp: the streams start one by one, evenly over this many ms (see {@link rampStartMs}). */
  rampMs?: number;
}

function callOptions(b: LoadBounds, signal: AbortSignal): CallOptions {
  // Every in-flight call listens on the one run-wide signal.
  setMaxListeners(0, signal);
  return { timeoutMs: b.callTimeoutMs ?? 30_000, signal };
}

const sleep = delay;

/**
 * Drives `client` at a fixed arrival rate. Every latency is measured from the request's INTENDED send time, so a
 * stall in the server or the generator shows in the percentiles instead of being hidden (no coordinated
 * omission). Returns when every sent stream has ended.
 */
export async function runOpenLoop(input: OpenLoopInput): Promise<LoadStats> {
  if (!(input.ratePerSec > 0) || !Number.isFinite(input.ratePerSec)) throw new RangeError("ratePerSec must be > 0");
  const intervalMs = 1000 / input.ratePerSec;
  const arrivals =
    input.arrivals ??
    rateArrivals({ ratePerSec: input.ratePerSec, arrival: input.arrival, seed: input.seed, rampMs: input.rampMs });
  const maxInFlight = input.maxInFlight ?? Number.POSITIVE_INFINITY;
  const abort = new AbortController();
  const opts = callOptions(input, abort.signal);
  const start = performance.now();
  const windowEnd = start + input.durationMs;
  const due = () => {
    const off = arrivals();
    return off === undefined ? Number.POSITIVE_INFINITY : start + off;
  };
  let nextAt = due();
  let scheduled = 0;
  let sent = 0;
  let completed = 0;
  let inFlight = 0;
  let peakInFlight = 0;
  let lastEnd = start;
  const pending = new Set<Promise<void>>();
  let slotWaiter: (() => void) | undefined;

  const launch = (seq: number, intended: number) => {
    sent++;
    inFlight++;
    if (inFlight > peakInFlight) peakInFlight = inFlight;
    const p = runWork(input.client, input.work(seq), intended, seq, opts, input.onOutcome).then(() => {
      inFlight--;
      completed++;
      lastEnd = performance.now();
      pending.delete(p);
      const w = slotWaiter;
      slotWaiter = undefined;
      w?.();
    });
    pending.add(p);
  };

  while (scheduled < input.maxRequests && nextAt < windowEnd && !input.signal?.aborted) {
    const now = performance.now();
    if (nextAt > now) {
      await sleep(Math.max(0, nextAt - now - 0.2));
      // Timers fire up to ~1 ms early or late: spin briefly on the last fraction of a millisecond.
      while (performance.now() < nextAt) await new Promise<void>((r) => setImmediate(r));
    }
    // Send everything that is due now (a batch when the generator fell behind), timed from its intended time.
    let batch = 0;
    while (scheduled < input.maxRequests && nextAt <= performance.now() && nextAt < windowEnd) {
      const seq = scheduled++;
      const intended = nextAt;
      nextAt = due();
      while (inFlight >= maxInFlight) await new Promise<void>((r) => (slotWaiter = r));
      launch(seq, intended);
      if (++batch % 64 === 0) await new Promise<void>((r) => setImmediate(r));
    }
  }
  const windowMs = Math.min(performance.now(), windowEnd) - start;
  const cancelledAtDrain = await drain(pending, input.drainMs ?? 10_000, abort, () => inFlight);
  const elapsedMs = Math.max(lastEnd - start, 1e-3);
  return {
    scheduled,
    sent,
    completed,
    cancelledAtDrain,
    elapsedMs,
    windowMs,
    offeredRps: scheduled / (Math.max(windowMs, intervalMs) / 1000),
    achievedRps: completed / (elapsedMs / 1000),
    peakInFlight,
  };
}

/**
 * Runs `concurrency` workers that each send a request as soon as their previous one ends (closed loop), until the
 * duration or request count is reached. Latency is timed from each actual send.
 */
export async function runClosedLoop(input: ClosedLoopInput): Promise<LoadStats> {
  if (!(input.concurrency >= 1)) throw new RangeError("concurrency must be >= 1");
  const abort = new AbortController();
  const opts = callOptions(input, abort.signal);
  const start = performance.now();
  const windowEnd = start + input.durationMs;
  let seqNext = 0;
  let completed = 0;
  let inFlight = 0;
  let peakInFlight = 0;
  let lastEnd = start;
  const worker = async (i: number) => {
    // Node's timers can fire up to a millisecond before performance.now() says the delay is over (libuv counts
    // whole ms from its cached loop time), so wait again for what is left: a ramped stream never starts early.
    const rampEnd = start + rampStartMs(i, input.concurrency, input.rampMs);
    while (performance.now() < rampEnd) await sleep(rampEnd - performance.now());
    while (seqNext < input.maxRequests && performance.now() < windowEnd && !input.signal?.aborted) {
      const seq = seqNext++;
      inFlight++;
      if (inFlight > peakInFlight) peakInFlight = inFlight;
      await runWork(input.client, input.work(seq), performance.now(), seq, opts, input.onOutcome);
      inFlight--;
      completed++;
      lastEnd = performance.now();
    }
  };
  const workers = new Set<Promise<void>>();
  for (let i = 0; i < input.concurrency; i++) {
    const w = worker(i);
    workers.add(w);
    void w.then(() => workers.delete(w));
  }
  // Workers stop issuing at the window's end; give in-flight calls the drain window, then cancel them.
  let timer: LongTimeout | undefined;
  await Promise.race([
    Promise.all(workers),
    new Promise<void>((r) => (timer = setLongTimeout(r, input.durationMs + (input.drainMs ?? 10_000)))),
  ]);
  timer?.clear();
  let cancelledAtDrain = 0;
  if (workers.size > 0) {
    cancelledAtDrain = inFlight;
    abort.abort();
    await Promise.all(workers);
  }
  const windowMs = Math.min(performance.now(), windowEnd) - start;
  const elapsedMs = Math.max(lastEnd - start, 1e-3);
  return {
    scheduled: seqNext,
    sent: seqNext,
    completed,
    cancelledAtDrain,
    elapsedMs,
    windowMs,
    offeredRps: seqNext / (Math.max(windowMs, 1) / 1000),
    achievedRps: completed / (elapsedMs / 1000),
    peakInFlight,
  };
}

async function drain(
  pending: Set<Promise<void>>,
  drainMs: number,
  abort: AbortController,
  inFlight: () => number,
): Promise<number> {
  if (pending.size === 0) return 0;
  let timer: LongTimeout | undefined;
  const timedOut = await Promise.race([
    Promise.all([...pending]).then(() => false),
    new Promise<boolean>((r) => (timer = setLongTimeout(() => r(true), drainMs))),
  ]);
  timer?.clear();
  if (!timedOut) return 0;
  const n = inFlight();
  abort.abort();
  await Promise.all([...pending]);
  return n;
}
