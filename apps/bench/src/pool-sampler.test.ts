import type { ClientStats } from "@modelwire/core";
import { describe, expect, it } from "vitest";
import { combinePools, createPoolAccumulator, createPoolSampler, sumClientStats } from "./pool-sampler.js";

const stats = (o: Partial<ClientStats>): ClientStats => ({
  transport: "t",
  open: 0,
  active: 0,
  idle: 0,
  queued: 0,
  ...o,
});

describe("pool figures", () => {
  it("peak and mean per gauge, the counters' difference, the share of samples with calls queued", () => {
    const acc = createPoolAccumulator();
    acc.add(stats({ open: 2, active: 0, idle: 2, opened: 5, reconnects: 1 }));
    acc.add(stats({ open: 4, active: 4, idle: 0, queued: 3, opened: 7, reconnects: 1 }));
    acc.add(stats({ open: 4, active: 2, idle: 2, queued: 1, opened: 8, reconnects: 2 }));
    acc.add(stats({ open: 2, active: 2, idle: 0, opened: 8, reconnects: 2 }));
    expect(acc.figures(100)).toEqual({
      samples: 4,
      intervalMs: 100,
      open: { peak: 4, mean: 3 },
      active: { peak: 4, mean: 2 },
      idle: { peak: 2, mean: 1 },
      queued: { peak: 3, mean: 1 },
      queuedShare: 0.5,
      opened: 3,
      reconnects: 1,
    });
  });

  it("leaves out counters the client does not keep, and says nothing without samples", () => {
    const acc = createPoolAccumulator();
    expect(acc.figures(100)).toBeUndefined();
    acc.add(stats({ open: 1 }));
    acc.add(stats({ open: 1, active: 3 }));
    const f = acc.figures(100)!;
    expect(f.opened).toBeUndefined();
    expect(f.reconnects).toBeUndefined();
    expect(f.active).toEqual({ peak: 3, mean: 1.5 });
  });

  it("adds worker threads' clients; a counter one of them lacks is unknown for the sum", () => {
    expect(sumClientStats([])).toBeUndefined();
    const sum = sumClientStats([stats({ open: 1, active: 5, opened: 2 }), stats({ open: 1, active: 3, opened: 1 })]);
    expect(sum).toMatchObject({ open: 2, active: 8, opened: 3 });
    expect(sum?.reconnects).toBeUndefined();
    expect(sumClientStats([stats({ opened: 2 }), stats({})])?.opened).toBeUndefined();
  });

  it("combines agents' pools: means and counters add, peaks add as an upper bound, unknown if one lacks them", () => {
    const a = createPoolAccumulator();
    a.add(stats({ open: 1, active: 4, opened: 1, reconnects: 0 }));
    a.add(stats({ open: 1, active: 8, queued: 2, opened: 1, reconnects: 0 }));
    const b = createPoolAccumulator();
    b.add(stats({ open: 2, active: 2, opened: 0, reconnects: 1 }));
    b.add(stats({ open: 2, active: 2, opened: 3, reconnects: 2 }));
    b.add(stats({ open: 2, active: 2, opened: 3, reconnects: 2 }));
    const c = combinePools([a.figures(100), b.figures(100)])!;
    expect(c).toEqual({
      samples: 2,
      intervalMs: 100,
      open: { peak: 3, mean: 3 },
      active: { peak: 10, mean: 8 },
      idle: { peak: 0, mean: 0 },
      queued: { peak: 2, mean: 1 },
      queuedShare: 0.5,
      opened: 3,
      reconnects: 1,
    });
    expect(combinePools([a.figures(100), undefined])).toBeUndefined();
    expect(combinePools([])).toBeUndefined();
  });

  it("samples at the start, on its interval and at the end, skipping reads that fail or have nothing", async () => {
    let n = 0;
    const sampler = createPoolSampler(() => {
      n++;
      if (n === 2) throw new Error("not now");
      if (n === 3) return undefined;
      return stats({ active: n });
    }, 10);
    sampler.start();
    while (n < 5) await new Promise((r) => setTimeout(r, 5));
    const f = sampler.stop()!;
    // reads 2 and 3 are left out; the last read is the stop's own
    expect(f.samples).toBe(n - 2);
    expect(f.active.peak).toBe(n);
  });
});
