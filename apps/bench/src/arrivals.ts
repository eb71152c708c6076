import { createPrng } from "@modelwire/engine";
import type { LoadSpec } from "./result.js";
import type { Workload } from "./workload.js";

/**
 * The arrival schedule of an open loop: successive intended send times, in ms after the loop's start, or
 * undefined when the schedule has nothing more to send (a trace's end).
 */
export type Arrivals = () => number | undefined;

/** A rate-driven schedule: evenly spaced or Poisson arrivals, optionally ramped up. */
export interface RateSchedule {
  /** Arrivals per second once ramped up. */
  ratePerSec: number;
  arrival?: "constant" | "poisson";
  /** PRNG seed for Poisson gaps. */
  seed?: number;
  /**
   * Ramp: the rate rises linearly from 0 to `ratePerSec` over the first `rampMs`, then holds (the expected count by
   * time t is R·t²/2T during the ramp). 0 or absent: full rate from the start.
   */
  rampMs?: number;
}

/**
 * The time (ms) by which `count` arrivals are due: `count / R` at a steady rate, or under a linear ramp of `rampMs`
 * the inverse of the cumulative count R·t²/(2T) (then T + the rest at full rate).
 */
export function arrivalTime(count: number, ratePerSec: number, rampMs = 0): number {
  const perMs = ratePerSec / 1000;
  if (rampMs <= 0) return count / perMs;
  const duringRamp = (perMs * rampMs) / 2;
  if (count <= duringRamp) return Math.sqrt((2 * rampMs * count) / perMs);
  return rampMs + (count - duringRamp) / perMs;
}

/**
 * Rate arrivals: the k-th (from 0) is due when k arrivals' worth of the (ramped) rate has passed. Poisson draws
 * exponential gaps in that count, so a ramp thins a Poisson process the same way it spaces a constant one.
 */
export function rateArrivals(s: RateSchedule): Arrivals {
  if (!(s.ratePerSec > 0) || !Number.isFinite(s.ratePerSec)) throw new RangeError("ratePerSec must be > 0");
  const prng = s.arrival === "poisson" ? createPrng(s.seed ?? 1) : undefined;
  let count = 0;
  return () => {
    const at = arrivalTime(count, s.ratePerSec, s.rampMs ?? 0);
    count += prng ? -Math.log(1 - prng.next()) : 1;
    return at;
  };
}

/** Trace arrivals: request `seq`'s offset (already divided by the speed), until `offsetOf` says there is none. */
export function traceArrivals(offsetOf: (seq: number) => number | undefined): Arrivals {
  let seq = 0;
  return () => offsetOf(seq++);
}

/**
 * When closed-loop stream `i` of `n` starts under a ramp of `rampMs`: evenly from 0 (the first at once) so the
 * number of streams rises linearly to `n` over the ramp.
 */
export function rampStartMs(i: number, n: number, rampMs = 0): number {
  return rampMs > 0 && n > 1 ? (rampMs * i) / n : 0;
}

/** What an open loop needs to know of its schedule (see `runOpenLoop`). */
export interface OpenSchedule {
  ratePerSec: number;
  arrival?: "constant" | "poisson";
  maxInFlight?: number;
  rampMs?: number;
  arrivals?: Arrivals;
}

/**
 * The schedule of an open-loop load: its rate (ramped or not), or with `arrival: "trace"` the workload's trace
 * lines in this generator's share of the sequence, each at its offset divided by the speed.
 */
export function openSchedule(load: Extract<LoadSpec, { mode: "open" }>, w: Workload): OpenSchedule {
  const base = { ratePerSec: load.ratePerSec, ...(load.maxInFlight ? { maxInFlight: load.maxInFlight } : {}) };
  if (load.arrival !== "trace")
    return { ...base, arrival: load.arrival, ...(load.rampMs ? { rampMs: load.rampMs } : {}) };
  const entries = w.trace?.entries;
  if (!entries || entries.length === 0) throw new RangeError("a trace load needs workload.trace entries");
  const speed = load.traceSpeed ?? 1;
  const count = w.share && w.share.count > 1 ? w.share.count : 1;
  const index = count > 1 ? w.share!.index : 0;
  return {
    ...base,
    arrivals: traceArrivals((seq) => {
      const e = entries[seq * count + index];
      return e === undefined ? undefined : e.offsetMs / speed;
    }),
  };
}
