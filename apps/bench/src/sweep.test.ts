import { describe, expect, it } from "vitest";
import type { LoadStats } from "./load.js";
import { createProgress } from "./progress.js";
import { createRunRecorder } from "./recorder.js";
import type { SweepPoint } from "./result.js";
import { parseSlos } from "./slo.js";
import { judgeStep, type RateStep, sweepTransport } from "./sweep.js";

const quiet = createProgress({ quiet: true });
const point = (offeredRps: number, sloOk: boolean): SweepPoint => ({
  offeredRps,
  achievedRps: offeredRps,
  ttftP50: 1,
  ttftP99: 2,
  e2eP99: 3,
  errorRate: 0,
  sloOk,
});

/** A step that answers from a script of verdicts per rate, recording every rate it was asked. */
function scripted(verdicts: Record<number, boolean[]>) {
  const asked: number[] = [];
  const step = async (rate: number): Promise<RateStep> => {
    asked.push(rate);
    const ok = verdicts[rate]?.shift() ?? true;
    return { point: point(rate, ok), broken: ok ? [] : [`slow at ${rate}`] };
  };
  return { step, asked };
}

describe("the sweep", () => {
  it("rises by the factor until a step misses twice; the knee is the last rate that held", async () => {
    const { step, asked } = scripted({ 400: [false, false] });
    const r = await sweepTransport("t", step, { startRps: 100, factor: 2, maxSteps: 6 }, quiet);
    expect(asked).toEqual([100, 200, 400, 400]);
    expect(r.kneeRps).toBe(200);
    expect(r.points.map((p) => [p.offeredRps, p.sloOk])).toEqual([
      [100, true],
      [200, true],
      [400, false],
    ]);
    expect(r.stoppedBecause).toBe("at 400 req/s (twice): slow at 400");
  });

  it("repeats a missed step once and goes on when the repeat holds (one hiccup does not end it)", async () => {
    const { step, asked } = scripted({ 200: [false, true] });
    const r = await sweepTransport("t", step, { startRps: 100, factor: 2, maxSteps: 3 }, quiet);
    expect(asked).toEqual([100, 200, 200, 400]);
    expect(r.points.map((p) => p.sloOk)).toEqual([true, true, true]);
    expect(r.kneeRps).toBe(400);
    expect(r.stoppedBecause).toBe("reached 3 steps");
  });

  it("has no knee when the first rate already misses", async () => {
    const { step } = scripted({ 50: [false, false] });
    const r = await sweepTransport("t", step, { startRps: 50, factor: 2, maxSteps: 4 }, quiet);
    expect(r.kneeRps).toBeUndefined();
    expect(r.points).toHaveLength(1);
  });
});

describe("judging a sweep step", () => {
  const load = (offeredRps: number, achievedRps: number): LoadStats => ({
    scheduled: 0,
    sent: 0,
    completed: 0,
    cancelledAtDrain: 0,
    elapsedMs: 1000,
    windowMs: 1000,
    offeredRps,
    achievedRps,
    peakInFlight: 1,
  });

  it("misses when the achieved rate is under 90% of the offered, even with every SLO met", () => {
    const run = createRunRecorder().toJSON();
    const slos = parseSlos("error_rate<=100%");
    expect(judgeStep(run, load(100, 90), slos).point.sloOk).toBe(true);
    const missed = judgeStep(run, load(100, 89), slos);
    expect(missed.point.sloOk).toBe(false);
    expect(missed.broken).toEqual(["achieved 89 < 90% of offered 100 req/s"]);
  });

  it("counts a step without a single request as all errors", () => {
    const r = judgeStep(createRunRecorder().toJSON(), load(100, 100), parseSlos("error_rate<1%"));
    expect(r.point.errorRate).toBe(1);
    expect(r.broken).toEqual(["error_rate<1% (measured 1.000)"]);
  });
});
