/**
 * One upstream's circuit breaker, pure (the caller passes the time): `up` until `failures` calls in a row fail
 * (connection errors, 5xx, timeouts) or an active check fails; then `down` for a back-off; then `half-open`, when
 * exactly one trial call may go through. A trial or a check that succeeds closes it (`up`); a failed trial opens it
 * again with twice the back-off (at most `maxBackoffMs`). While the last active check failed it stays `down` whatever
 * the back-off says: no trial call goes to an upstream the checks cannot reach (or that is not an Ollama and answers
 * every path with 404), and only a check that answers (or a call that got a chunk) brings it back.
 *
 * @module
 */

import type { Availability } from "./route.js";

/** A breaker's state, as `/control/stats` and `/metrics` show it. */
export type BreakerState = "up" | "down" | "half-open";

/** Options of {@link createBreaker}. */
export interface BreakerOptions {
  /** Consecutive failed calls that open it. */
  failures: number;
  /** First back-off (ms) before a trial call. */
  backoffMs: number;
  /** Longest back-off (ms). */
  maxBackoffMs: number;
  /** Told each change of {@link Breaker.state} caused by a verdict (not the lazy `down` → `half-open`). */
  onChange?(state: BreakerState): void;
}

/** A circuit breaker. Every method that needs the time takes `now` (ms, any monotonic clock). */
export interface Breaker {
  /** The state at `now` (`down` turns `half-open` once its back-off has passed). */
  state(now: number): BreakerState;
  /** For the router: `up`, `trial` (half-open and its trial call is free) or `down`. */
  availability(now: number): Availability;
  /** Claims the trial call (the router chose this upstream while its availability was `trial`). */
  beginTrial(): void;
  /** The upstream answered (a call got its first chunk or reply, or an error reply that is not a failure). */
  success(): void;
  /** A call failed in a way that counts against the upstream. */
  failure(now: number): void;
  /** A trial call ended without a verdict (the caller cancelled, the upstream was busy): the trial is free again. */
  release(): void;
  /** An active check's outcome: an answer closes the breaker, no answer opens it at once. */
  probe(answered: boolean, now: number): void;
  /** Failures in a row now. */
  readonly consecutiveFailures: number;
  /** The back-off in force (ms) while out. */
  readonly backoffMs: number;
}

/** Creates a breaker, `up`. */
export function createBreaker(options: BreakerOptions): Breaker {
  let phase: "up" | "down" = "up";
  let openedAt = 0;
  let backoff = options.backoffMs;
  let consecutive = 0;
  let trialInFlight = false;
  /** The last active check failed. */
  let checkFailed = false;
  const change = (s: BreakerState) => options.onChange?.(s);

  const open = (now: number, nextBackoff: number) => {
    const was = phase;
    phase = "down";
    openedAt = now;
    backoff = Math.min(nextBackoff, options.maxBackoffMs);
    trialInFlight = false;
    if (was !== "down") change("down");
  };
  const state = (now: number): BreakerState =>
    phase === "up" ? "up" : !checkFailed && now - openedAt >= backoff ? "half-open" : "down";

  return {
    state,
    availability(now) {
      const s = state(now);
      if (s === "up") return "up";
      return s === "half-open" && !trialInFlight ? "trial" : "down";
    },
    beginTrial() {
      trialInFlight = true;
    },
    success() {
      consecutive = 0;
      checkFailed = false;
      trialInFlight = false;
      backoff = options.backoffMs;
      if (phase !== "up") {
        phase = "up";
        change("up");
      }
    },
    failure(now) {
      consecutive++;
      if (phase === "up") {
        if (consecutive >= options.failures) open(now, options.backoffMs);
        return;
      }
      // A failed trial (or a call that was already under way when the breaker opened) keeps it out, longer.
      const trial = trialInFlight || state(now) === "half-open";
      if (trial) open(now, backoff * 2);
    },
    release() {
      trialInFlight = false;
    },
    probe(answered, now) {
      if (answered) {
        this.success();
        return;
      }
      checkFailed = true;
      if (phase === "up") {
        consecutive = Math.max(consecutive, options.failures);
        open(now, options.backoffMs);
      } else {
        // Still not answering: the back-off starts again, so no trial call goes to an upstream checks cannot reach.
        open(now, backoff);
      }
    },
    get consecutiveFailures() {
      return consecutive;
    },
    get backoffMs() {
      return backoff;
    },
  };
}
