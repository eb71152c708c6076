import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { timerProblems, unboundedTimers } from "./timers.mjs";

describe("the timer check", () => {
  it("finds no timer in the shipped sources whose delay may pass 2^31-1 ms", () => {
    expect(timerProblems(join(import.meta.dirname, ".."))).toEqual([]);
  }, 60_000);

  it("flags unbounded delays and accepts bounded ones", () => {
    const src = [
      "setTimeout(f, ms);", // 1: flagged
      "setTimeout(f, 1000);",
      "setTimeout(f, GRACE_MS);",
      "setTimeout(f, clampTimerMs(ms));",
      "setTimeout(f, Math.min(ms, 5000));",
      "setInterval(f, o.everyMs);", // 6: flagged
      "socket.setTimeout(options.idleMs);", // 7: flagged
      "AbortSignal.timeout(ms);", // 8: flagged
      "server.keepAliveTimeout = o.keepAliveMs;", // 9: flagged
      "setTimeout(f, 3_000_000_000);", // 10: flagged (a literal past the limit)
      "setLongTimeout(f, ms);",
    ].join("\n");
    expect(unboundedTimers("x.ts", src).map((t) => t.line)).toEqual([1, 6, 7, 8, 9, 10]);
  });
});
