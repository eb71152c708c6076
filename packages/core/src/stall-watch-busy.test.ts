import { spawn } from "node:child_process";
import type { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { createStallWatch, type StallTarget, socketStallTarget } from "./stall-watch.js";

// The stall watch with real timers while this thread is blocked (Atomics.wait: timers, I/O, everything stops, as in
// a long synchronous task, a GC pause or a starved process). A tick that fires late runs in the timers phase, before
// the poll phase reads what happened meanwhile.

/** Blocks this thread for `ms`. */
const blockThread = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe("createStallWatch on a blocked thread", () => {
  it("cuts a stopped reader on time while this process is starved (every tick late)", async () => {
    // 200 ms stall timeout, ticks every 50 ms; the thread is blocked 150 ms at a time with one loop turn between,
    // so every tick fires late. The bytes never move: the reader is stopped and must be cut, not forgiven.
    const watch = createStallWatch(200);
    const stopped: StallTarget = { pending: () => 5000 };
    let cutAt: number | undefined;
    const t0 = performance.now();
    watch.watch(stopped, () => {
      cutAt = performance.now() - t0;
    });
    let starving = true;
    const starve = () => {
      blockThread(150);
      if (starving && cutAt === undefined) setImmediate(starve);
    };
    setImmediate(starve);
    cleanups.push(() => {
      starving = false;
    });
    while (cutAt === undefined && performance.now() - t0 < 4_000) await sleep(20);
    starving = false;
    expect(cutAt, "a stopped reader cut while every tick was late").toBeDefined();
    expect(watch.stalled).toBe(1);
  });

  it("does not cut a reader that read while this thread was blocked past the timeout, and cuts it once it stops", async () => {
    // The reader is its own process, reading 64 KiB about every 20 ms. This side keeps one 16 KiB write in flight
    // (progress shows when a write completes, so it must be small next to what the reader takes during the block).
    // This thread is blocked for 5 stall timeouts; when it wakes the tick is due before the poll phase has seen
    // what the reader took meanwhile.
    const reader = spawn(
      process.execPath,
      [
        "-e",
        "process.stdin.on('data', () => { process.stdin.pause(); setTimeout(() => process.stdin.resume(), 20); });",
      ],
      { stdio: ["pipe", "ignore", "inherit"] },
    );
    cleanups.push(() => reader.kill("SIGKILL"));
    const pipe = reader.stdin as Writable & { bytesWritten: number };
    pipe.on("error", () => {});
    const chunk = Buffer.alloc(16 * 1024, 1);
    let pumping = true;
    cleanups.push(() => {
      pumping = false;
    });
    const pump = () => {
      while (pumping && pipe.writableLength < chunk.length) pipe.write(chunk, pump);
    };
    pump();
    const target = socketStallTarget(pipe);
    const took = () => target.flushed?.() ?? 0;
    for (let i = 0; i < 500 && took() < 1024 * 1024; i++) await sleep(10);
    expect(took(), "the reader reads").toBeGreaterThanOrEqual(1024 * 1024);

    const watch = createStallWatch(200);
    let cut = false;
    watch.watch(target, () => {
      cut = true;
    });
    await sleep(300);
    const before = took();
    // Blocked in the check phase: the next loop turn starts with the due tick, then the poll phase.
    await new Promise<void>((r) =>
      setImmediate(() => {
        blockThread(1_000);
        r();
      }),
    );
    await sleep(300);
    expect(took(), "the reader read on").toBeGreaterThan(before);
    expect(cut, "a reader that read while this thread was blocked").toBe(false);

    // The same watch on the same target cuts the reader once it really stops (so there was something to judge).
    reader.kill("SIGSTOP");
    for (let i = 0; i < 500 && !cut; i++) await sleep(10);
    expect(cut, "the reader stopped").toBe(true);
    expect(watch.stalled).toBe(1);
  }, 20_000);
});
