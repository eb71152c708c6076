/**
 * Where calls wait while every upstream that has their model holds its stream limit: woken when an upstream
 * changes state, or after a while to look again.
 *
 * @module
 */

import { abortReason, clampTimerMs } from "@modelwire/core";

/** The waiting room of a fleet. */
export interface Room {
  /** Resolves when woken or after `maxWaitMs`; rejects with the signal's reason when the caller goes away. */
  wait(signal: AbortSignal): Promise<void>;
  /** Wakes every waiting call. */
  wake(): void;
}

/** Creates a waiting room whose calls look again at least every `maxWaitMs`. */
export function createRoom(maxWaitMs = 1_000): Room {
  const waiters = new Set<() => void>();
  return {
    wait(signal) {
      if (signal.aborted) return Promise.reject(abortReason(signal));
      return new Promise((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener("abort", gone);
          waiters.delete(done);
          resolve();
        };
        const gone = () => {
          clearTimeout(timer);
          waiters.delete(done);
          reject(abortReason(signal));
        };
        const timer = setTimeout(done, clampTimerMs(maxWaitMs));
        waiters.add(done);
        signal.addEventListener("abort", gone, { once: true });
      });
    },
    wake() {
      if (waiters.size === 0) return;
      const list = [...waiters];
      waiters.clear();
      for (const w of list) w();
    },
  };
}
