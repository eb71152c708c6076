import { describe, expect, it } from "vitest";
import { Code } from "./code.js";
import { createCallSignal, effectiveDeadline } from "./deadline.js";
import { ModelwireError } from "./error.js";

describe("effectiveDeadline", () => {
  it("takes the earlier of timeoutMs and deadline", () => {
    expect(effectiveDeadline({ timeoutMs: 100 }, 1000)).toBe(1100);
    expect(effectiveDeadline({ deadline: 1050, timeoutMs: 100 }, 1000)).toBe(1050);
    expect(effectiveDeadline({ deadline: 2000, timeoutMs: 100 }, 1000)).toBe(1100);
    expect(effectiveDeadline({}, 1000)).toBeUndefined();
    expect(effectiveDeadline(undefined)).toBeUndefined();
  });

  it("rejects a negative or non-finite timeout with InvalidArgument", () => {
    expect(() => effectiveDeadline({ timeoutMs: -1 })).toThrowError(ModelwireError);
    try {
      effectiveDeadline({ timeoutMs: Number.NaN });
    } catch (e) {
      expect((e as ModelwireError).code).toBe(Code.InvalidArgument);
      expect((e as ModelwireError).metadata.field).toBe("timeoutMs");
    }
  });
});

describe("createCallSignal", () => {
  it("fires with DeadlineExceeded when the deadline passes", async () => {
    const cs = createCallSignal({ timeoutMs: 5 });
    await new Promise((r) => cs.signal.addEventListener("abort", r));
    expect((cs.signal.reason as ModelwireError).code).toBe(Code.DeadlineExceeded);
    cs.dispose();
  });

  it("fires with Canceled when the caller aborts, and detaches on dispose", () => {
    const ac = new AbortController();
    const cs = createCallSignal({ signal: ac.signal, timeoutMs: 60_000 });
    expect(cs.signal.aborted).toBe(false);
    ac.abort(new Error("user left"));
    expect(cs.signal.aborted).toBe(true);
    expect((cs.signal.reason as ModelwireError).code).toBe(Code.Canceled);
    cs.dispose();
    const cs2 = createCallSignal({ signal: new AbortController().signal });
    cs2.dispose();
    expect(cs2.signal.aborted).toBe(false);
  });

  it("is already aborted for a deadline in the past or an aborted parent", () => {
    expect(createCallSignal({ deadline: Date.now() - 1 }).signal.aborted).toBe(true);
    expect(createCallSignal({ signal: AbortSignal.abort() }).signal.aborted).toBe(true);
  });
});

describe("createCallSignal with one caller signal shared by many calls", () => {
  it("registers one listener on the caller's signal, fans out its abort, and detaches when the calls end", async () => {
    const { EventEmitter } = await import("node:events");
    const getEventListeners = (s: AbortSignal, e: string) => EventEmitter.getEventListeners(s, e);
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on("warning", onWarning);
    try {
      const parent = new AbortController();
      const calls = Array.from({ length: 100 }, () => createCallSignal({ signal: parent.signal }));
      expect(getEventListeners(parent.signal, "abort")).toHaveLength(1);
      // Calls that ended before the abort are not told.
      for (const c of calls.slice(0, 40)) c.dispose();
      expect(getEventListeners(parent.signal, "abort")).toHaveLength(1);
      parent.abort(new Error("shutting down"));
      for (const [i, c] of calls.entries()) {
        expect(c.signal.aborted).toBe(i >= 40);
        if (i >= 40) {
          expect(c.signal.reason).toBeInstanceOf(ModelwireError);
          expect((c.signal.reason as ModelwireError).code).toBe(Code.Canceled);
          expect((c.signal.reason as ModelwireError).message).toContain("shutting down");
        }
      }
      for (const c of calls) c.dispose();
      expect(getEventListeners(parent.signal, "abort")).toHaveLength(0);

      const again = new AbortController();
      const more = Array.from({ length: 30 }, () => createCallSignal({ signal: again.signal }));
      for (const c of more) c.dispose();
      expect(getEventListeners(again.signal, "abort")).toHaveLength(0);
      // A new call after every earlier one ended registers afresh and still fires.
      const late = createCallSignal({ signal: again.signal });
      again.abort();
      expect(late.signal.aborted).toBe(true);
      await new Promise((r) => setImmediate(r));
      expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning")).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  });
});
