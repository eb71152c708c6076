import { clampTimerMs } from "@modelwire/core";

/** Watches every input in flight for a hang with one timer, instead of one timer armed and cleared per input. */
export interface HangWatch {
  /**
   * Starts watching one input: `onHang` runs once if the returned function has not been called within the hang
   * limit (at most one check period late). Call the returned function when the input is answered.
   */
  watch(onHang: () => void): () => void;
  /** Inputs being watched right now. */
  readonly open: number;
  /** The hang limit, ms. */
  readonly limitMs: number;
  /** Stops the timer; inputs still watched are not judged. */
  close(): void;
}

/**
 * Creates a {@link HangWatch} for `hangMs`. Inputs are kept in start order (a Map keeps insertion order), so a check
 * looks only at the ones old enough to have hung and stops at the first younger one: its cost is the hung inputs,
 * not the inputs in flight. One check every `hangMs / 10` (between 10 ms and 250 ms).
 */
export function createHangWatch(hangMs: number): HangWatch {
  const open = new Map<number, { at: number; onHang: () => void }>();
  let next = 0;
  const check = () => {
    const now = performance.now();
    for (const [id, e] of open) {
      if (now - e.at < hangMs) break;
      open.delete(id);
      e.onHang();
    }
  };
  const timer = setInterval(check, clampTimerMs(Math.min(250, Math.max(10, hangMs / 10))));
  timer.unref();
  return {
    watch(onHang) {
      const id = next++;
      open.set(id, { at: performance.now(), onHang });
      return () => void open.delete(id);
    },
    get open() {
      return open.size;
    },
    limitMs: hangMs,
    close() {
      clearInterval(timer);
    },
  };
}
