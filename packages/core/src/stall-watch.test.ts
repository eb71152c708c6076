import { EventEmitter } from "node:events";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Code } from "./code.js";
import { createStallWatch, type StallTarget, socketStallTarget } from "./stall-watch.js";

/** A writer whose queued bytes and 'drain' the test sets by hand. */
function fakeTarget(): StallTarget & { bytes: number; drain(): void; listeners(): number } {
  const events = new EventEmitter();
  return {
    bytes: 0,
    pending() {
      return this.bytes;
    },
    onDrain: (f) => events.on("drain", f),
    offDrain: (f) => events.off("drain", f),
    drain() {
      this.bytes = 0;
      events.emit("drain");
    },
    listeners: () => events.listenerCount("drain"),
  };
}

describe("createStallWatch", () => {
  beforeEach(() => {
    vi.useFakeTimers({
      toFake: [
        "setInterval",
        "clearInterval",
        "setTimeout",
        "clearTimeout",
        "setImmediate",
        "clearImmediate",
        "performance",
      ],
    });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("cuts a writer whose bytes stay queued for stallMs, once, with RESOURCE_EXHAUSTED write_stall", () => {
    const watch = createStallWatch(1000);
    const t = fakeTarget();
    const onStall = vi.fn();
    watch.watch(t, onStall);
    t.bytes = 5000;
    vi.advanceTimersByTime(900);
    expect(onStall).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1000);
    expect(onStall).toHaveBeenCalledTimes(1);
    const err = onStall.mock.calls[0][0];
    expect(err.code).toBe(Code.ResourceExhausted);
    expect(err.metadata).toMatchObject({ reason: "write_stall", limit: "writeStallTimeoutMs", max: "1000" });
    expect(err.rawMessage).toContain("1000 ms");
    expect(watch.stalled).toBe(1);
    expect(t.listeners()).toBe(0);
    vi.advanceTimersByTime(10_000);
    expect(onStall).toHaveBeenCalledTimes(1);
  });

  it("never cuts a slow reader: the queue drains or shrinks within every stallMs", () => {
    const watch = createStallWatch(1000);
    const drains = fakeTarget();
    const shrinks = fakeTarget();
    const onStall = vi.fn();
    watch.watch(drains, onStall);
    watch.watch(shrinks, onStall);
    shrinks.bytes = 1_000_000;
    for (let i = 0; i < 100; i++) {
      drains.bytes = 64 * 1024; // refilled after every drain: never 0 when sampled
      vi.advanceTimersByTime(600);
      drains.drain();
      drains.bytes = 64 * 1024;
      shrinks.bytes -= 1000;
    }
    expect(onStall).not.toHaveBeenCalled();
    expect(watch.stalled).toBe(0);
  });

  it("an idle writer (nothing queued) is never cut; an unwatched one neither; 0 turns the watch off", () => {
    const watch = createStallWatch(1000);
    const idle = fakeTarget();
    const gone = fakeTarget();
    const onStall = vi.fn();
    watch.watch(idle, onStall);
    const stop = watch.watch(gone, onStall);
    gone.bytes = 10;
    stop();
    stop();
    vi.advanceTimersByTime(60_000);
    expect(onStall).not.toHaveBeenCalled();
    const off = createStallWatch(0);
    const t = fakeTarget();
    t.bytes = 10;
    off.watch(t, onStall);
    vi.advanceTimersByTime(60_000);
    expect(onStall).not.toHaveBeenCalled();
    expect(t.listeners()).toBe(0);
  });

  it("refuses a negative, NaN or infinite timeout naming writeStallTimeoutMs", () => {
    for (const v of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => createStallWatch(v)).toThrow(/writeStallTimeoutMs/);
    }
  });
});

describe("socketStallTarget", () => {
  it("counts the bytes the kernel took: bytesWritten minus what still waits", () => {
    const socket = { writableLength: 100, bytesWritten: 1100 };
    const t = socketStallTarget(socket);
    expect(t.pending()).toBe(100);
    expect(t.flushed?.()).toBe(1000);
    socket.writableLength = 40;
    expect(t.flushed?.()).toBe(1060);
  });
});
