import { describe, expect, it } from "vitest";
import { presetScenario } from "./presets.js";
import { createProgress } from "./progress.js";
import { runBench } from "./runner.js";
import { parseSlos } from "./slo.js";
import { selectTransports } from "./transports.js";
import { mergeLoadStats, splitLoad } from "./worker-pool.js";

describe("load split across worker threads", () => {
  it("splits concurrency into integer shares and a rate evenly", () => {
    expect(splitLoad({ mode: "closed", concurrency: 5 }, 2)).toEqual([
      { mode: "closed", concurrency: 3 },
      { mode: "closed", concurrency: 2 },
    ]);
    expect(splitLoad({ mode: "closed", concurrency: 1 }, 3)).toEqual([{ mode: "closed", concurrency: 1 }]);
    expect(splitLoad({ mode: "open", ratePerSec: 300, arrival: "poisson", maxInFlight: 5 }, 2)).toEqual([
      { mode: "open", ratePerSec: 150, arrival: "poisson", maxInFlight: 3 },
      { mode: "open", ratePerSec: 150, arrival: "poisson", maxInFlight: 3 },
    ]);
  });

  it("adds parallel load figures", () => {
    const part = {
      scheduled: 10,
      sent: 10,
      completed: 10,
      cancelledAtDrain: 0,
      elapsedMs: 1000,
      windowMs: 1000,
      offeredRps: 10,
      achievedRps: 10,
      peakInFlight: 2,
    };
    const m = mergeLoadStats([part, { ...part, elapsedMs: 2000 }]);
    expect(m).toMatchObject({ completed: 20, offeredRps: 20, achievedRps: 10, elapsedMs: 2000, peakInFlight: 4 });
  });

  it("runs a window on two worker threads and merges their histograms", async () => {
    const r = await runBench({
      scenarios: [presetScenario("protocol-overhead", { durationMs: 400, warmupMs: 100, maxRequests: 100_000 })],
      transports: selectTransports("echo"),
      repeats: 1,
      slos: parseSlos("error_rate<1%"),
      workers: 2,
      progress: createProgress({ quiet: true }),
    });
    const s = r.scenarios[0].summaries[0];
    expect(s.merged.ok).toBeGreaterThan(10);
    expect(s.merged.verify).toMatchObject({ failedStreams: 0, lost: 0 });
    expect(s.merged.summaries.e2e.count).toBe(s.merged.ok);
    expect(r.scenarios[0].windows[0].load.peakInFlight).toBe(16);
    // The pool is the workers' clients added up (one echo connection each), not the idle main-thread client's.
    const pool = r.scenarios[0].windows[0].pool!;
    expect(pool).toMatchObject({ open: { peak: 2 }, opened: 0 });
    expect(pool.active.peak).toBeGreaterThan(1);
    expect(r.exitCode).toBe(0);
  }, 60_000);
});
