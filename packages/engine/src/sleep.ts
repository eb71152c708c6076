import { abortReason } from "@modelwire/core";
import { MAX_TIMER_MS } from "./limits.js";

/**
 * Waits until `performance.now()` reaches `target` (milliseconds), or throws the signal's reason (a
 * ModelwireError) as soon as it fires. A target already in the past returns without arming a timer, which is what
 * keeps a token schedule free of drift: a late token makes the next wait shorter instead of pushing every later
 * token back.
 */
export function sleepUntil(target: number, signal: AbortSignal): Promise<void> | undefined {
  if (signal.aborted) return Promise.reject(abortReason(signal));
  const ms = target - performance.now();
  if (ms <= 0) return undefined;
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal));
    };
    // A timer may fire up to a millisecond early (whole-millisecond timers, cached loop time): wait out the rest.
    // A wait longer than Node's timer limit is chained in steps of at most MAX_TIMER_MS, never overflowing.
    const fire = () => {
      const left = target - performance.now();
      if (left > 0) {
        timer = setTimeout(fire, Math.min(Math.ceil(left), MAX_TIMER_MS));
        return;
      }
      signal.removeEventListener("abort", onAbort);
      resolve();
    };
    let timer = setTimeout(fire, Math.min(ms, MAX_TIMER_MS));
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Yields to the event loop once (a macrotask turn), so a zero-delay stream cannot starve I/O. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
