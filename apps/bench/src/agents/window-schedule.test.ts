import { describe, expect, it } from "vitest";
import type { Scenario } from "../result.js";
import { createWindowSchedule, type ScheduleClock } from "./window-schedule.js";

/** A clock that moves only when slept on (or told to). */
function fakeClock(start: number): ScheduleClock & { t: number } {
  const c = {
    t: start,
    now: () => c.t,
    sleep: async (ms: number) => {
      c.t += ms;
    },
  };
  return c;
}

const scenario = { warmupMs: 500, durationMs: 2000 } as Scenario;

describe("window schedule", () => {
  it("plans every window from the common start: warm-up + duration + gap per slot, plus the arrival offset", async () => {
    const clock = fakeClock(1_000);
    const plan = createWindowSchedule(10_000, 1_000, clock);
    const a = await plan.next(scenario);
    expect(a).toEqual({ plannedAtMs: 10_000, lateMs: 0, offsetMs: 0 });
    expect(clock.t).toBe(10_000);
    clock.t += 2_600; // the window ran 2.6 s of its 3.5 s slot
    const b = await plan.next(scenario, 4);
    expect(b).toEqual({ plannedAtMs: 13_504, lateMs: 0, offsetMs: 4 });
    expect(clock.t).toBe(13_504);
  });

  it("an agent behind the plan starts at once and says how late", async () => {
    const clock = fakeClock(12_345);
    const plan = createWindowSchedule(10_000, 1_000, clock);
    expect(await plan.next(scenario)).toEqual({ plannedAtMs: 10_000, lateMs: 2_345, offsetMs: 0 });
    expect(clock.t).toBe(12_345);
    // The plan does not slide: the next window is still due 3.5 s after the first one's planned start.
    expect((await plan.next(scenario)).plannedAtMs).toBe(13_500);
  });
});
