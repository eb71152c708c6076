import { delay } from "@modelwire/core";
import type { Scenario } from "../result.js";

/** Where a window started against its plan (agents only). */
export interface WindowTiming {
  /** Planned start of the window's warm-up, Unix epoch ms (this agent's clock). */
  plannedAtMs: number;
  /** How late the warm-up started, ms (0 when the agent waited for the plan). */
  lateMs: number;
  /** This agent's planned delay after the window's common start (its arrival offset), ms. */
  offsetMs: number;
}

/**
 * The windows of an agent's run on a fixed plan: window k's warm-up starts at the common start plus the slots of
 * the windows before it (warm-up + measured window + gap each), plus this agent's arrival offset. Every agent of a
 * run computes the same plan, so their windows line up without talking to each other; an agent that is late (its
 * previous window ran over, or it started after the common start) starts at once and says by how much.
 */
export interface WindowSchedule {
  /** Waits for the next window's planned start (never past it), then tells how the start went. */
  next(scenario: Scenario, offsetMs?: number): Promise<WindowTiming>;
}

/** Clock and sleep, replaceable in tests. */
export interface ScheduleClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: ScheduleClock = {
  now: () => Date.now(),
  // delay() chains timers past Node's 2^31-1 ms limit: a start days ahead waits, it does not spin.
  sleep: (ms) => delay(ms),
};

/** Creates the plan from the common start (epoch ms) and the gap after each window. */
export function createWindowSchedule(
  startAtMs: number,
  gapMs: number,
  clock: ScheduleClock = realClock,
): WindowSchedule {
  let slotStart = startAtMs;
  return {
    async next(scenario, offsetMs = 0) {
      const plannedAtMs = slotStart + offsetMs;
      slotStart += scenario.warmupMs + scenario.durationMs + gapMs;
      // Long waits in steps (a timer may fire early or late), the last stretch in short sleeps.
      for (let left = plannedAtMs - clock.now(); left > 0; left = plannedAtMs - clock.now())
        await clock.sleep(left > 50 ? left - 20 : Math.min(left, 1));
      return { plannedAtMs, lateMs: Math.max(0, clock.now() - plannedAtMs), offsetMs };
    },
  };
}
