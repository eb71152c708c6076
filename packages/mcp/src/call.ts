import { abortReason, type CallOptions, type CallSignal, createCallSignal } from "@modelwire/core";
import type { ClientStream } from "./client-stream.js";

/** A signal that never fires, for calls without a signal or deadline (saves an AbortController per call). */
export const NEVER: AbortSignal = new AbortController().signal;

/** Races `p` against a signal; the signal's reason (a ModelwireError) wins if it fires first. */
export function raceSignal<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal === NEVER) return p;
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

/**
 * One call seen from the caller: its signal and deadline (made only when the caller gave one), the stream it opened,
 * and the caller's abort wired to that stream (fail it with the reason, send CANCEL).
 */
export class Call {
  stream: ClientStream | undefined;
  finished = false;
  /** The call's signal and deadline; `undefined` when the caller gave neither (the common fast path). */
  readonly cs: CallSignal | undefined;
  private readonly onAbort = () => {
    const s = this.stream;
    if (!s || this.finished || !this.cs) return;
    s.failWith(abortReason(this.cs.signal));
    s.cancel();
  };

  constructor(options: CallOptions | undefined) {
    this.cs =
      options && (options.signal !== undefined || options.timeoutMs !== undefined || options.deadline !== undefined)
        ? createCallSignal(options)
        : undefined;
  }

  get signal(): AbortSignal {
    return this.cs ? this.cs.signal : NEVER;
  }

  /** The OPEN prefix's relative deadline in ms for a stream opened now (0 = none). */
  timeoutMs(): number {
    const deadline = this.cs?.deadline;
    if (deadline === undefined) return 0;
    return Math.min(0xffffffff, Math.max(1, Math.ceil(deadline - Date.now())));
  }

  /** Binds the opened stream: from now on an abort cancels it. */
  attach(stream: ClientStream): void {
    this.stream = stream;
    if (!this.cs) return;
    if (this.cs.signal.aborted) this.onAbort();
    else this.cs.signal.addEventListener("abort", this.onAbort, { once: true });
  }

  /** Ends the call (idempotent): unhooks the signal and, when `cancel`, sends CANCEL for a stream still open. */
  finish(cancel: boolean): void {
    if (this.finished) return;
    this.finished = true;
    if (this.cs) {
      this.cs.signal.removeEventListener("abort", this.onAbort);
      this.cs.dispose();
    }
    if (cancel) this.stream?.cancel();
  }
}
