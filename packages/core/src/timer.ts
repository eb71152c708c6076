/**
 * Timers that never overflow. Node (and browsers) keep a timer's delay in a signed 32-bit integer: a delay above
 * 2³¹−1 ms (about 24.8 days) fires after 1 ms instead, with a `TimeoutOverflowWarning` on stderr. Every timer in
 * modelwire whose delay is not a small constant goes through this module: a deadline or grace period is chained
 * ({@link setLongTimeout}: armed in steps of at most {@link MAX_TIMER_MS} until the whole delay has passed), a
 * period (heartbeat, keep-alive, probe interval) is clamped ({@link clampTimerMs}).
 *
 * @module
 */

/** The longest delay a timer honours: 2³¹−1 ms (24 days, 20 h, 31 min, 23.647 s). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * `ms` as a delay a timer takes whole: at most {@link MAX_TIMER_MS}; NaN, negative and zero delays become 0 (fire
 * on the next turn, as Node does for them, but without its warning). For periods, where "at most every 24.8 days"
 * means the same as "every 30 days".
 */
export function clampTimerMs(ms: number): number {
  if (!(ms > 0)) return 0;
  return Math.min(ms, MAX_TIMER_MS);
}

/** What {@link setLongTimeout} returns: `clear()` it, and `unref()` it as a Node timer. */
export interface LongTimeout {
  /** Cancels the timer (idempotent). */
  clear(): void;
  /** Lets the process exit while only this timer is pending (no-op outside Node). Returns the timer. */
  unref(): LongTimeout;
}

type RawTimer = ReturnType<typeof setTimeout>;

function unrefRaw(t: RawTimer): void {
  (t as { unref?: () => void }).unref?.();
}

/** A short delay: one platform timer. */
class ShortTimeout implements LongTimeout {
  private readonly t: RawTimer;
  constructor(fn: () => void, ms: number) {
    this.t = setTimeout(fn, ms);
  }
  clear(): void {
    clearTimeout(this.t);
  }
  unref(): LongTimeout {
    unrefRaw(this.t);
    return this;
  }
}

/** A delay above the limit: platform timers of at most MAX_TIMER_MS, re-armed until the due time. */
class ChainedTimeout implements LongTimeout {
  private t: RawTimer | undefined;
  private weak = false;
  private readonly due: number;
  constructor(
    private readonly fn: () => void,
    ms: number,
  ) {
    this.due = performance.now() + ms;
    this.arm(ms);
  }
  private arm(ms: number): void {
    this.t = setTimeout(
      () => {
        const left = this.due - performance.now();
        if (left > 0) this.arm(Math.min(Math.ceil(left), MAX_TIMER_MS));
        else {
          this.t = undefined;
          this.fn();
        }
      },
      Math.min(ms, MAX_TIMER_MS),
    );
    if (this.weak) unrefRaw(this.t);
  }
  clear(): void {
    if (this.t !== undefined) clearTimeout(this.t);
    this.t = undefined;
  }
  unref(): LongTimeout {
    this.weak = true;
    if (this.t !== undefined) unrefRaw(this.t);
    return this;
  }
}

/**
 * Runs `fn` once after `ms` milliseconds, however long that is: a delay up to {@link MAX_TIMER_MS} is one platform
 * timer, a longer one is chained (a 30-day deadline fires after 30 days, not after 1 ms). NaN and negative delays
 * fire on the next turn, like `setTimeout(fn, 0)`.
 */
export function setLongTimeout(fn: () => void, ms: number): LongTimeout {
  return ms > MAX_TIMER_MS ? new ChainedTimeout(fn, ms) : new ShortTimeout(fn, clampTimerMs(ms));
}

/** Resolves after `ms` milliseconds however long (chained like {@link setLongTimeout}). */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => {
    setLongTimeout(resolve, ms);
  });
}
