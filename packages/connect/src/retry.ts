import { abortReason, Code, type ModelwireError, setLongTimeout } from "@modelwire/core";

/** When and how a client repeats a failed call. */
export interface RetryOptions {
  /** Attempts in all, the first included. Default 3; 1 disables retries. */
  maxAttempts?: number;
  /** Backoff before the second attempt, in ms. Default 50. */
  initialBackoffMs?: number;
  /** Upper bound of one backoff, in ms. Default 2,000. */
  maxBackoffMs?: number;
  /** Growth factor of the backoff per attempt. Default 2. */
  multiplier?: number;
  /** Relative jitter in [0, 1]: a backoff b becomes b × (1 ± jitter), uniformly. Default 0.2. */
  jitter?: number;
  /**
   * Limit of one unary attempt, in ms (the call's own deadline still bounds the whole). A per-attempt timeout that
   * fires is a DEADLINE_EXCEEDED that may be retried. Default: none.
   */
  perAttemptTimeoutMs?: number;
  /** Random source in [0, 1), for tests. Default `Math.random`. */
  random?: () => number;
}

/** Resolved retry options. */
export type RetryPolicy = Required<Omit<RetryOptions, "perAttemptTimeoutMs">> & { perAttemptTimeoutMs?: number };

/** Fills in defaults and validates. */
export function resolveRetryPolicy(options: RetryOptions | false | undefined): RetryPolicy {
  if (options === false) return resolveRetryPolicy({ maxAttempts: 1 });
  const p: RetryPolicy = {
    maxAttempts: 3,
    initialBackoffMs: 50,
    maxBackoffMs: 2_000,
    multiplier: 2,
    jitter: 0.2,
    random: Math.random,
    ...Object.fromEntries(Object.entries(options ?? {}).filter(([, v]) => v !== undefined)),
  };
  if (!Number.isInteger(p.maxAttempts) || p.maxAttempts < 1)
    throw new RangeError("retry.maxAttempts must be an integer >= 1");
  if (!(p.jitter >= 0 && p.jitter <= 1)) throw new RangeError("retry.jitter must be in [0, 1]");
  return p;
}

/** The backoff before attempt `attempt + 1` (attempt counts from 1): exponential, capped, with jitter. */
export function backoffMs(policy: RetryPolicy, attempt: number): number {
  const base = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * policy.multiplier ** (attempt - 1));
  return Math.max(0, base * (1 + policy.jitter * (2 * policy.random() - 1)));
}

/**
 * Whether a failed attempt may be repeated: UNAVAILABLE always (the request was not processed or is safe to
 * repeat: every InferenceService call is a read), DEADLINE_EXCEEDED only when no response message has arrived and
 * the call's own deadline still leaves time (a per-attempt timeout or a server-side timeout fired).
 */
export function isRetryable(error: ModelwireError, receivedMessage: boolean, deadline: number | undefined): boolean {
  if (receivedMessage) return false;
  if (error.code === Code.Unavailable) return true;
  if (error.code === Code.DeadlineExceeded) return deadline === undefined || Date.now() < deadline;
  return false;
}

/** Sleeps `ms`, or rejects with the signal's reason as a ModelwireError when it fires first. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      timer.clear();
      reject(abortReason(signal!));
    };
    const timer = setLongTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
