import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Code } from "./code.js";
import { ModelwireError } from "./error.js";
import { createWriteBudget, DEFAULT_MAX_QUEUED_BYTES, WRITE_BUDGET_PERIOD_MS } from "./write-budget.js";

/** A writer whose queued bytes the test sets by hand. */
const writer = (bytes = 0) => ({
  bytes,
  pending() {
    return this.bytes;
  },
});

describe("createWriteBudget", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("over the budget cuts the writers holding the most, largest first, until the rest fit; each once, with RESOURCE_EXHAUSTED write_budget", () => {
    const budget = createWriteBudget(10_000);
    const ws = [writer(6_000), writer(100), writer(4_000), writer(3_000)];
    const cuts = ws.map(() => vi.fn());
    for (const [i, w] of ws.entries()) budget.watch(w, cuts[i]);
    expect(budget.held()).toBe(13_100);
    vi.advanceTimersByTime(WRITE_BUDGET_PERIOD_MS);
    // 13,100 - 6,000 = 7,100 fits: only the largest goes.
    expect(cuts.map((c) => c.mock.calls.length)).toEqual([1, 0, 0, 0]);
    const err = cuts[0].mock.calls[0][0] as ModelwireError;
    expect(err).toBeInstanceOf(ModelwireError);
    expect(err.code).toBe(Code.ResourceExhausted);
    expect(err.metadata).toEqual({ reason: "write_budget", limit: "maxQueuedBytes", max: "10000" });
    expect(err.rawMessage).toBe(
      "stream cut: the server held 13100 bytes for readers that are behind, over its budget of 10000 (maxQueuedBytes); this stream held the most (6000)",
    );
    expect([budget.cut, budget.watched, budget.held()]).toEqual([1, 3, 7_100]);
    // A cut writer is no longer counted nor cut again; the others grow past the budget (17,100): the largest goes.
    ws[0].bytes = 50_000;
    ws[2].bytes = 9_000;
    ws[3].bytes = 8_000;
    vi.advanceTimersByTime(WRITE_BUDGET_PERIOD_MS);
    expect(cuts.map((c) => c.mock.calls.length)).toEqual([1, 0, 1, 0]);
    expect([budget.cut, budget.watched, budget.held()]).toEqual([2, 2, 8_100]);
  });

  it("at or under the budget cuts nothing; unwatching stops the count and the timer", () => {
    const budget = createWriteBudget(1_000);
    const w = writer(1_000);
    const cut = vi.fn();
    const stop = budget.watch(w, cut);
    vi.advanceTimersByTime(10 * WRITE_BUDGET_PERIOD_MS);
    expect(cut).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(1);
    stop();
    stop();
    expect([budget.watched, budget.held(), vi.getTimerCount()]).toEqual([0, 0, 0]);
  });

  it("0 is off: nothing is watched; a bad size throws INVALID_ARGUMENT naming maxQueuedBytes", () => {
    const off = createWriteBudget(0);
    off.watch(writer(1e9), () => {
      throw new Error("cut while off");
    });
    vi.advanceTimersByTime(WRITE_BUDGET_PERIOD_MS);
    expect([off.watched, vi.getTimerCount()]).toEqual([0, 0]);
    expect(createWriteBudget().maxBytes).toBe(DEFAULT_MAX_QUEUED_BYTES);
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => createWriteBudget(bad)).toThrow(
        expect.objectContaining({ code: Code.InvalidArgument, metadata: { field: "maxQueuedBytes" } }),
      );
    }
  });
});
