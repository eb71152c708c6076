import { abortReason, Code, ModelwireError } from "@modelwire/core";

/** Limits of an {@link Admission}. */
export interface AdmissionOptions {
  /** Calls allowed to run at once. */
  maxInFlight: number;
  /** Calls allowed to wait for a slot; beyond it a call is refused at once. Default 0 (no queue). */
  maxQueue?: number;
}

/** Figures of an {@link Admission} now. */
export interface AdmissionStats {
  inFlight: number;
  queued: number;
  admitted: number;
  rejected: number;
}

/**
 * The overload guard every server shares: at most `maxInFlight` calls run, at most `maxQueue` wait, and the rest
 * are refused at once with `ResourceExhausted` (each protocol then answers with its own code: HTTP 503, gRPC
 * RESOURCE_EXHAUSTED, an MCP error frame). Never an unbounded queue.
 */
export interface Admission {
  /**
   * Takes a slot, waiting in the bounded queue if needed. Resolves to a release function (idempotent); rejects
   * with `ResourceExhausted` when the queue is full, or with the signal's reason if it fires while waiting.
   */
  acquire(signal?: AbortSignal): Promise<() => void>;
  /** Takes a slot only if one is free now; `undefined` otherwise. */
  tryAcquire(): (() => void) | undefined;
  stats(): AdmissionStats;
  readonly options: Readonly<Required<AdmissionOptions>>;
}

/** Creates an {@link Admission}; throws `InvalidArgument` for a limit that is not a non-negative integer. */
export function createAdmission(options: AdmissionOptions): Admission {
  const opts = { maxQueue: 0, ...options };
  for (const field of ["maxInFlight", "maxQueue"] as const) {
    const v = opts[field];
    if (!Number.isInteger(v) || v < 0) {
      throw new ModelwireError(`${field} must be a non-negative integer, got ${v}`, Code.InvalidArgument, { field });
    }
  }
  let inFlight = 0;
  let admitted = 0;
  let rejected = 0;
  const waiters: Array<{ grant: () => void }> = [];

  const release = () => {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = waiters.shift();
      if (next) next.grant();
      else inFlight--;
    };
  };

  const tryAcquire = () => {
    if (inFlight < opts.maxInFlight) {
      inFlight++;
      admitted++;
      return release();
    }
    return undefined;
  };

  return {
    options: opts,
    tryAcquire,
    acquire(signal) {
      if (signal?.aborted) return Promise.reject(abortReason(signal));
      const now = tryAcquire();
      if (now) return Promise.resolve(now);
      if (waiters.length >= opts.maxQueue) {
        rejected++;
        return Promise.reject(
          new ModelwireError(
            `server busy: ${opts.maxInFlight} calls in flight and ${opts.maxQueue} queued`,
            Code.ResourceExhausted,
            { limit: String(opts.maxInFlight) },
          ),
        );
      }
      return new Promise((resolve, reject) => {
        const waiter = {
          grant: () => {
            signal?.removeEventListener("abort", onAbort);
            admitted++;
            resolve(release());
          },
        };
        const onAbort = () => {
          const i = waiters.indexOf(waiter);
          if (i >= 0) waiters.splice(i, 1);
          reject(abortReason(signal!));
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        waiters.push(waiter);
      });
    },
    stats: () => ({ inFlight, queued: waiters.length, admitted, rejected }),
  };
}
