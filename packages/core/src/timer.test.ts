import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { clampTimerMs, delay, MAX_TIMER_MS, setLongTimeout } from "./timer.js";

describe("clampTimerMs", () => {
  it("keeps delays a timer takes and clamps the rest", () => {
    expect(clampTimerMs(0)).toBe(0);
    expect(clampTimerMs(1500)).toBe(1500);
    expect(clampTimerMs(MAX_TIMER_MS)).toBe(MAX_TIMER_MS);
    expect(clampTimerMs(MAX_TIMER_MS + 1)).toBe(MAX_TIMER_MS);
    expect(clampTimerMs(Number.POSITIVE_INFINITY)).toBe(MAX_TIMER_MS);
    expect(clampTimerMs(Number.NaN)).toBe(0);
    expect(clampTimerMs(-5)).toBe(0);
  });
});

describe("setLongTimeout (fake clock)", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("fires a 30-day timer after 30 days, not at once", () => {
    const fired = vi.fn();
    setLongTimeout(fired, 30 * 86_400_000);
    vi.advanceTimersByTime(1);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(MAX_TIMER_MS);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(30 * 86_400_000 - MAX_TIMER_MS - 2);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it("fires the longest grpc-timeout (99999999H, 11,400 years) never within a century", () => {
    const fired = vi.fn();
    setLongTimeout(fired, 99_999_999 * 3_600_000);
    vi.advanceTimersByTime(100 * 365 * 86_400_000);
    expect(fired).not.toHaveBeenCalled();
  });

  it("clear() stops a chained timer between links, and a short one", () => {
    const long = vi.fn();
    const short = vi.fn();
    const a = setLongTimeout(long, 3 * MAX_TIMER_MS);
    const b = setLongTimeout(short, 10);
    b.clear();
    vi.advanceTimersByTime(MAX_TIMER_MS + 5);
    a.clear();
    vi.advanceTimersByTime(3 * MAX_TIMER_MS);
    expect(long).not.toHaveBeenCalled();
    expect(short).not.toHaveBeenCalled();
  });

  it("short, zero, negative and NaN delays fire like setTimeout's", () => {
    const fired: number[] = [];
    setLongTimeout(() => fired.push(1), 5);
    setLongTimeout(() => fired.push(2), 0);
    setLongTimeout(() => fired.push(3), -1);
    setLongTimeout(() => fired.push(4), Number.NaN);
    vi.advanceTimersByTime(1);
    expect(fired.sort()).toEqual([2, 3, 4]);
    vi.advanceTimersByTime(4);
    expect(fired.sort()).toEqual([1, 2, 3, 4]);
  });

  it("delay() resolves after a delay longer than the limit", async () => {
    let done = false;
    void delay(MAX_TIMER_MS + 1000).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(MAX_TIMER_MS);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1000);
    expect(done).toBe(true);
  });
});

describe("setLongTimeout (real clock)", () => {
  it("arms a timer past the limit without a TimeoutOverflowWarning", async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on("warning", onWarning);
    try {
      const t = setLongTimeout(() => {}, 40 * 86_400_000).unref();
      const fired = vi.fn();
      const u = setLongTimeout(fired, MAX_TIMER_MS + 1).unref();
      await new Promise((r) => setTimeout(r, 50));
      expect(fired).not.toHaveBeenCalled();
      t.clear();
      u.clear();
      // The control: a bare timer this long does warn (so this check can fail).
      clearTimeout(setTimeout(() => {}, MAX_TIMER_MS + 1));
      await new Promise((r) => setImmediate(r));
      expect(warnings.map((w) => w.name)).toEqual(["TimeoutOverflowWarning"]);
    } finally {
      process.off("warning", onWarning);
    }
  });
});
