import type { CallOptions } from "./client.js";
import { Code } from "./code.js";
import { ModelwireError } from "./error.js";
import { type LongTimeout, setLongTimeout } from "./timer.js";

/** The effective deadline of a call as epoch milliseconds, or `undefined` when it has none. */
export function effectiveDeadline(options: Pick<CallOptions, "timeoutMs" | "deadline"> | undefined, now = Date.now()) {
  if (!options) return undefined;
  const { timeoutMs, deadline } = options;
  if (timeoutMs !== undefined && (!Number.isFinite(timeoutMs) || timeoutMs < 0)) {
    throw new ModelwireError(`timeoutMs must be a non-negative number, got ${timeoutMs}`, Code.InvalidArgument, {
      field: "timeoutMs",
    });
  }
  const fromTimeout = timeoutMs === undefined ? undefined : now + timeoutMs;
  if (deadline === undefined) return fromTimeout;
  return fromTimeout === undefined ? deadline : Math.min(deadline, fromTimeout);
}

/** A signal that fires on the caller's abort or at the deadline, and a `dispose` that clears the timer. */
export interface CallSignal {
  signal: AbortSignal;
  /** The effective deadline (epoch ms), if any. */
  deadline: number | undefined;
  /** Clears the deadline timer and detaches from the caller's signal. Idempotent. */
  dispose(): void;
}

/**
 * Combines a call's AbortSignal and deadline into one signal. Its `reason` is a {@link ModelwireError}:
 * `Canceled` for the caller's abort, `DeadlineExceeded` for the deadline.
 */
export function createCallSignal(options: CallOptions | undefined): CallSignal {
  const controller = new AbortController();
  const deadline = effectiveDeadline(options);
  let timer: LongTimeout | undefined;
  const parent = options?.signal;
  const onAbort = () => controller.abort(cancelReason(parent?.reason));
  if (parent) {
    if (parent.aborted) onAbort();
    else subscribe(parent, onAbort);
  }
  if (deadline !== undefined && !controller.signal.aborted) {
    const ms = deadline - Date.now();
    const fire = () =>
      controller.abort(new ModelwireError("deadline exceeded", Code.DeadlineExceeded, { deadline: String(deadline) }));
    if (ms <= 0) fire();
    // Chained past Node's 2^31-1 ms timer limit: a 30-day deadline fires after 30 days, not at once.
    else timer = setLongTimeout(fire, ms).unref();
  }
  return {
    signal: controller.signal,
    deadline,
    dispose() {
      timer?.clear();
      timer = undefined;
      if (parent) unsubscribe(parent, onAbort);
    },
  };
}

/**
 * The calls waiting on one caller signal. A signal shared by many concurrent calls (one per request handler, say)
 * gets one "abort" listener that fans out, not one per call: 11 or more listeners on one signal make Node print
 * MaxListenersExceededWarning, and each listener costs the signal's dispatch.
 */
class FanOut {
  readonly calls = new Set<() => void>();
  constructor(private readonly parent: AbortSignal) {}
  readonly dispatch = () => {
    fanOuts.delete(this.parent);
    for (const f of this.calls) f();
  };
}

const fanOuts = new WeakMap<AbortSignal, FanOut>();

function subscribe(parent: AbortSignal, cb: () => void): void {
  let f = fanOuts.get(parent);
  if (!f) {
    f = new FanOut(parent);
    fanOuts.set(parent, f);
    parent.addEventListener("abort", f.dispatch, { once: true });
  }
  f.calls.add(cb);
}

function unsubscribe(parent: AbortSignal, cb: () => void): void {
  const f = fanOuts.get(parent);
  if (!f?.calls.delete(cb) || f.calls.size > 0) return;
  fanOuts.delete(parent);
  parent.removeEventListener("abort", f.dispatch);
}

function cancelReason(reason: unknown): ModelwireError {
  if (reason instanceof ModelwireError) return reason;
  const text = reason instanceof Error ? reason.message : reason === undefined ? "" : String(reason);
  return new ModelwireError(text ? `canceled: ${text}` : "canceled by the caller", Code.Canceled, {}, reason);
}

/** Throws the signal's reason as a ModelwireError when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortReason(signal);
}

/** A signal's reason as a ModelwireError (`Canceled` unless the reason already is one). */
export function abortReason(signal: AbortSignal): ModelwireError {
  return signal.reason instanceof ModelwireError ? signal.reason : cancelReason(signal.reason);
}
