/**
 * Eventual checks for tests: wait for a condition or for a counter to stop moving, instead of sleeping a fixed time
 * and asserting (which passes or fails by luck on a loaded machine).
 */

/** How long and how often {@link until} polls. */
export interface UntilOptions {
  /** Give up after this many milliseconds. Default 10 000. */
  timeoutMs?: number;
  /** Poll interval in milliseconds. Default 10. */
  everyMs?: number;
}

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Polls `check` until it holds; rejects, naming the condition, when it has not held within the time limit (a number
 * is the time limit in milliseconds).
 */
export async function until(
  check: () => boolean | Promise<boolean>,
  options: UntilOptions | number = {},
): Promise<void> {
  const { timeoutMs = 10_000, everyMs = 10 } = typeof options === "number" ? { timeoutMs: options } : options;
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms: ${check.toString()}`);
    await pause(everyMs);
  }
}

/** How {@link plateau} decides a value stopped moving. */
export interface PlateauOptions {
  /** Sampling interval in milliseconds. Default 250. */
  everyMs?: number;
  /** Consecutive intervals the value must stay within `tolerance`. Default 3. */
  stableFor?: number;
  /** The largest change between two samples that still counts as standing still. Default 0. */
  tolerance?: number;
  /** Give up after this many milliseconds. Default 15 000. */
  timeoutMs?: number;
}

/**
 * Samples `read` every `everyMs` until it changed by at most `tolerance` for `stableFor` intervals in a row, and
 * returns the last sample; rejects when it is still moving at `timeoutMs`. Use it to show something is held back
 * (flow control, a paused reader): the counter stops, then the test asserts where it stopped. A counter that
 * keeps running to its end also plateaus, so assert the plateau is below the end. The sampling timer runs on the
 * same event loop as the code under test, so a loaded machine slows both and cannot fake a plateau.
 */
export async function plateau(read: () => number, options: PlateauOptions = {}): Promise<number> {
  const { everyMs = 250, stableFor = 3, tolerance = 0, timeoutMs = 15_000 } = options;
  const end = Date.now() + timeoutMs;
  let prev = read();
  let stable = 0;
  while (stable < stableFor) {
    if (Date.now() > end)
      throw new Error(`value still moving after ${timeoutMs} ms (last ${prev}): ${read.toString()}`);
    await pause(everyMs);
    const now = read();
    stable = Math.abs(now - prev) <= tolerance ? stable + 1 : 0;
    prev = now;
  }
  return prev;
}
