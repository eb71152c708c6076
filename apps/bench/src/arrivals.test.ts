import { describe, expect, it } from "vitest";
import { arrivalTime, openSchedule, rampStartMs, rateArrivals } from "./arrivals.js";
import { DEFAULT_WORKLOAD } from "./workload.js";

function take(next: () => number | undefined, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = next();
    if (t === undefined) break;
    out.push(t);
  }
  return out;
}

describe("arrival schedules", () => {
  it("spaces constant arrivals at 1/R from 0", () => {
    expect(take(rateArrivals({ ratePerSec: 200 }), 4)).toEqual([0, 5, 10, 15]);
  });

  it("ramps the rate linearly: R·T/2 arrivals during the ramp, then the full rate", () => {
    // 100/s ramped over 2 s: 100 arrivals in the ramp (the k-th at sqrt(2Tk/R)), then one every 10 ms.
    expect(arrivalTime(25, 100, 2000)).toBeCloseTo(1000, 9);
    expect(arrivalTime(100, 100, 2000)).toBeCloseTo(2000, 9);
    expect(arrivalTime(110, 100, 2000)).toBeCloseTo(2100, 9);
    const times = take(rateArrivals({ ratePerSec: 100, rampMs: 2000 }), 1000);
    const before = (ms: number) => times.filter((t) => t < ms).length;
    expect(before(1000)).toBe(25);
    expect(before(2000)).toBe(100);
    expect(before(3000)).toBe(200);
    // The gaps shrink through the ramp and are constant after it.
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    expect(gaps[10]).toBeGreaterThan(gaps[50]);
    expect(gaps[150]).toBeCloseTo(10, 9);
  });

  it("draws Poisson gaps from the seed (same seed, same schedule) and keeps the mean rate", () => {
    const a = take(rateArrivals({ ratePerSec: 1000, arrival: "poisson", seed: 7 }), 5000);
    const b = take(rateArrivals({ ratePerSec: 1000, arrival: "poisson", seed: 7 }), 5000);
    const c = take(rateArrivals({ ratePerSec: 1000, arrival: "poisson", seed: 8 }), 5000);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a[4999] / 4999).toBeGreaterThan(0.95);
    expect(a[4999] / 4999).toBeLessThan(1.05);
  });

  it("starts closed-loop streams evenly over the ramp", () => {
    expect([0, 1, 2, 3].map((i) => rampStartMs(i, 4, 1000))).toEqual([0, 250, 500, 750]);
    expect(rampStartMs(3, 4)).toBe(0);
  });

  it("replays a trace's offsets at its speed, each generator its share of the lines", () => {
    const trace = {
      file: "t",
      digest: "d",
      requests: 5,
      spanMs: 40,
      entries: [0, 10, 20, 30, 40].map((offsetMs) => ({ offsetMs, promptTokens: 1 })),
    };
    const load = { mode: "open" as const, ratePerSec: 125, arrival: "trace" as const, traceSpeed: 2 };
    const all = openSchedule(load, { ...DEFAULT_WORKLOAD, trace });
    expect(take(all.arrivals!, 10)).toEqual([0, 5, 10, 15, 20]);
    const second = openSchedule(load, { ...DEFAULT_WORKLOAD, trace, share: { count: 2, index: 1 } });
    expect(take(second.arrivals!, 10)).toEqual([5, 15]);
    expect(() => openSchedule(load, DEFAULT_WORKLOAD)).toThrow(RangeError);
  });
});
