import { afterEach, describe, expect, it, vi } from "vitest";
import type { Fleet } from "../fleet.js";
import { presetScenario } from "../presets.js";
import { createProgress } from "../progress.js";
import { createWorkSource } from "../workload.js";
import { prepareAgent } from "./agent-run.js";

describe("an agent's progress", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("counts the wait for the common start and the gaps between windows in the time left", async () => {
    const writes: string[] = [];
    let t = 0;
    const progress = createProgress({
      stream: { isTTY: true, columns: 200, write: (s: string) => writes.push(s) },
      now: () => t,
      redrawMs: 0,
    });
    const scenario = presetScenario("protocol-overhead", { durationMs: 1000, warmupMs: 0 });
    progress.plan(2, 1000);
    // No transport to probe the clock over: the agent only plans. Start 60.7 s from now, 500 ms after each window.
    // The wall clock stands still (the agent reads Date.now() again to plan): a loaded machine that took 200 ms to get
    // there showed "in 1:00" instead of "in 1:01".
    vi.useFakeTimers({ toFake: ["Date"], now: 1_800_000_000_000 });
    const fleet = { active: [] } as unknown as Fleet;
    const agent = { count: 2, index: 0, startAtMs: Date.now() + 60_700, gapMs: 500 };
    await prepareAgent(agent, fleet, { scenario, work: createWorkSource(scenario.workload) }, progress);
    t = 1000;
    progress.line("next");
    progress.done();
    const status = writes
      .filter((w) => !w.endsWith("\n"))
      .map((w) => w.replace("\r\x1b[2K", ""))
      .filter(Boolean);
    // 60.7 s to the start, a 1 s window, the 0.5 s gap, the second: ~63.2 s; 1 s later ~62.2 s.
    expect(status[0]).toBe("[0/2] 0% · waiting for the planned start in 1:01 · 0:00 elapsed · ~1:03 left");
    expect(status.at(-1)).toBe("[0/2] 0% · waiting for the planned start in 1:00 · 0:01 elapsed · ~1:02 left");
  });
});
