import { afterEach, describe, expect, it, vi } from "vitest";
import { createHangWatch } from "./hang-watch.js";

describe("the hang watch", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("calls onHang once for an input still open after the limit, never for one answered in time", () => {
    vi.useFakeTimers();
    const watch = createHangWatch(1_000);
    const hung = vi.fn();
    const answered = vi.fn();
    watch.watch(hung);
    const done = watch.watch(answered);
    vi.advanceTimersByTime(500);
    done();
    expect(watch.open).toBe(1);
    vi.advanceTimersByTime(400);
    expect(hung).not.toHaveBeenCalled();
    vi.advanceTimersByTime(250); // the limit passed; one check period at most later
    expect(hung).toHaveBeenCalledTimes(1);
    expect(answered).not.toHaveBeenCalled();
    expect(watch.open).toBe(0);
    vi.advanceTimersByTime(5_000);
    expect(hung).toHaveBeenCalledTimes(1);
    watch.close();
  });

  it("judges inputs by their own start: a younger one waits for its own limit", () => {
    vi.useFakeTimers();
    const watch = createHangWatch(1_000);
    const first = vi.fn();
    const second = vi.fn();
    watch.watch(first);
    vi.advanceTimersByTime(600);
    watch.watch(second);
    vi.advanceTimersByTime(600);
    expect(first).toHaveBeenCalledTimes(1);
    expect(second).not.toHaveBeenCalled();
    vi.advanceTimersByTime(600);
    expect(second).toHaveBeenCalledTimes(1);
    watch.close();
  });
});
