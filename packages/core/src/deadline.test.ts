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
