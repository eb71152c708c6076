import { Code, ModelwireError } from "@modelwire/core";
import { afterEach, describe, expect, it, vi } from "vitest";
import { MAX_TIMER_MS, SYNTHETIC_LIMITS } from "./limits.js";
import { sleepUntil } from "./sleep.js";
import { createSyntheticEngine } from "./synthetic.js";

function fieldOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ModelwireError);
    expect((e as ModelwireError).code).toBe(Code.InvalidArgument);
    return (e as ModelwireError).metadata.field;
  }
  return undefined;
}

afterEach(() => vi.restoreAllMocks());

describe("synthetic engine knob bounds", () => {
  it("accept each bound and refuse just past it, naming the knob", () => {
    for (const [key, max] of Object.entries(SYNTHETIC_LIMITS)) {
      const exclusive = key === "jitter";
      const atBound = exclusive ? max - 0.001 : max;
      expect(fieldOf(() => createSyntheticEngine({ [key]: atBound }))).toBeUndefined();
      expect(fieldOf(() => createSyntheticEngine({ [key]: exclusive ? max : max + 1 }))).toBe(key);
      expect(fieldOf(() => createSyntheticEngine().configure({ [key]: 1e308 }))).toBe(key);
    }
  });

  it("a refused configure leaves the knobs in force unchanged", () => {
    const e = createSyntheticEngine({ interTokenMs: 5 });
    expect(fieldOf(() => e.configure({ tokens: 3, interTokenMs: 1e308 }))).toBe("interTokenMs");
    expect(e.config).toMatchObject({ interTokenMs: 5, tokens: 16 });
  });

  it("the longest wait the bounds allow stays below Node's timer limit", () => {
    expect(SYNTHETIC_LIMITS.ttftMs * (1 + SYNTHETIC_LIMITS.jitter)).toBeLessThan(MAX_TIMER_MS);
    expect(SYNTHETIC_LIMITS.interTokenMs * (1 + SYNTHETIC_LIMITS.jitter)).toBeLessThan(MAX_TIMER_MS);
  });

  it("sleepUntil chains a wait past 2^31-1 ms instead of arming an overflowing timer", async () => {
    const delays: number[] = [];
    const real = globalThis.setTimeout;
    vi.spyOn(globalThis, "setTimeout").mockImplementation(((_fn: () => void, ms?: number) => {
      delays.push(ms ?? 0);
      return real(() => {}, 0); // never fires the sleep: the test aborts it
    }) as typeof setTimeout);
    const ac = new AbortController();
    const wait = sleepUntil(performance.now() + 30 * 86_400_000, ac.signal);
    expect(wait).toBeInstanceOf(Promise);
    ac.abort();
    await expect(wait).rejects.toBeInstanceOf(ModelwireError);
    expect(delays).toEqual([MAX_TIMER_MS]);
  });
});
