import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { LoadSpec, Scenario } from "../result.js";
import { DEFAULT_WORKLOAD } from "../workload.js";
import {
  arrivalOffsetMs,
  integerShare,
  nestShare,
  shareLoad,
  shareScenario,
  shareSequence,
  sumLoads,
} from "./agent-share.js";

const scenario = (load: LoadSpec): Scenario => ({
  name: "s",
  description: "d",
  workload: DEFAULT_WORKLOAD,
  load,
  durationMs: 1000,
  warmupMs: 100,
  maxRequests: 1001,
});

describe("agent shares", () => {
  it("integer shares of a total add up to it and differ by at most one", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 1, max: 64 }), (total, n) => {
        const xs = Array.from({ length: n }, (_, i) => integerShare(total, n, i));
        expect(xs.reduce((a, x) => a + x, 0)).toBe(total);
        expect(Math.max(...xs) - Math.min(...xs)).toBeLessThanOrEqual(1);
      }),
    );
  });

  it("the agents' loads add up to the configured one (streams exactly, rates within rounding)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 16, max: 5000 }), (n, c) => {
        const closed: LoadSpec = { mode: "closed", concurrency: c };
        expect(sumLoads(Array.from({ length: n }, (_, i) => shareLoad(closed, n, i)))).toEqual(closed);
        const open: LoadSpec = { mode: "open", ratePerSec: c, arrival: "poisson", maxInFlight: 64 * n };
        const sum = sumLoads(Array.from({ length: n }, (_, i) => shareLoad(open, n, i)));
        expect(sum.mode === "open" && sum.ratePerSec).toBeCloseTo(c, 9);
        expect(sum.mode === "open" && sum.maxInFlight).toBe(64 * n);
      }),
    );
  });

  it("refuses a closed-loop share with no stream", () => {
    expect(() => shareLoad({ mode: "closed", concurrency: 2 }, 3, 2)).toThrow(
      "--concurrency 2 cannot be shared by 3 agents",
    );
  });

  it("agents' sequence shares cover every request number exactly once, nested worker shares too", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 4 }), (agents, workers) => {
        const seen: number[] = [];
        for (let a = 0; a < agents; a++)
          for (let w = 0; w < workers; w++) {
            const share = nestShare({ count: agents, index: a }, { count: workers, index: w });
            const src = shareSequence(share, (seq) => seq);
            for (let k = 0; k < 10; k++) seen.push(src(k));
          }
        const n = agents * workers * 10;
        expect(seen.sort((x, y) => x - y)).toEqual(Array.from({ length: n }, (_, i) => i));
      }),
    );
  });

  it("a scenario's share takes its load, request cap and request sequence share", () => {
    const s = shareScenario(scenario({ mode: "closed", concurrency: 10 }), { count: 3, index: 1 });
    expect(s.load).toEqual({ mode: "closed", concurrency: 3 });
    expect(s.maxRequests).toBe(334);
    expect(s.workload.share).toEqual({ count: 3, index: 1 });
    expect(shareScenario(scenario({ mode: "closed", concurrency: 10 }), { count: 1, index: 0 }).workload.share).toBe(
      undefined,
    );
  });

  it("open-loop agents interleave their arrivals; closed loops start together", () => {
    const share = shareLoad({ mode: "open", ratePerSec: 300, arrival: "constant" }, 3, 0);
    expect([0, 1, 2].map((i) => arrivalOffsetMs(share, 3, i))).toEqual([0, 1000 / 300, 2000 / 300]);
    expect(arrivalOffsetMs({ mode: "closed", concurrency: 3 }, 3, 2)).toBe(0);
  });
});
