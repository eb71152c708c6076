import { arrivalOffsetMs } from "./agents/agent-share.js";
import type { WindowSchedule } from "./agents/window-schedule.js";
import { type Fleet, type Target, workModeOf } from "./fleet.js";
import type { GeneratorMonitor } from "./generator-monitor.js";
import type { OutcomeLog } from "./outcome-log.js";
import type { Progress } from "./progress.js";
import type { Scenario, ScenarioResult, WindowResult } from "./result.js";
import { recordableScenario } from "./schedule-args.js";
import { goodputBoundsFromSlos, type Slo } from "./slo.js";
import type { StreamOutcome } from "./stream-call.js";
import { summarizeScenario } from "./summarize.js";
import { createTraceRecorder, writeTraceFile } from "./trace/trace-writer.js";
import { measureWindow, windowLine } from "./window.js";
import { createWorkSource, type WorkMode } from "./workload.js";

/** How one scenario is repeated and judged. */
export interface RoundsConfig {
  repeats: number;
  slos: readonly Slo[];
  /** Worker threads per transport (1: the main thread drives the load). */
  workers: number;
  /** One JSON line per request, when given (in-process generator only). */
  log?: OutcomeLog;
  /** Agents: every window starts on this plan (see {@link WindowSchedule}). */
  schedule?: WindowSchedule;
  /** `--record-trace`: the first measured window's sends are written here as a trace, once per run. */
  recordTrace?: { path: string; written: boolean };
}

/**
 * The order of round `round` (1-based): every target once, the order rotated so none always runs first or last.
 */
export function roundOrder<T>(targets: readonly T[], round: number): T[] {
  return targets.map((_, i) => targets[(i + round - 1) % targets.length]);
}

/**
 * Runs a scenario: `repeats` rounds, each measuring every active transport once (interleaved), then one summary
 * per transport over its rounds.
 */
export async function runScenario(
  fleet: Fleet,
  scenario: Scenario,
  cfg: RoundsConfig,
  monitor: GeneratorMonitor,
  progress: Progress,
): Promise<ScenarioResult> {
  await fleet.configureEngine(scenario.workload.engine);
  // One work source per engine kind: the synthetic engine's tokens are predicted and verified; a real engine gets
  // the fleet's model, a seed and temperature 0, and its text is compared across wires.
  const sources = new Map<string, ReturnType<typeof createWorkSource>>();
  const modeOf = (t: Target) => workModeOf(t, fleet.model);
  const workFor = (mode: WorkMode) => {
    const key = JSON.stringify(mode);
    let w = sources.get(key);
    if (!w) {
      w = createWorkSource(scenario.workload, mode);
      sources.set(key, w);
    }
    return w;
  };
  const goodput = goodputBoundsFromSlos(cfg.slos);
  const windows: WindowResult[] = [];
  progress.line(`scenario ${scenario.name}: ${scenario.description}`);
  for (let round = 1; round <= cfg.repeats; round++) {
    for (const [order, target] of roundOrder<Target>(fleet.active, round).entries()) {
      const log = cfg.log;
      const at = { scenario: scenario.name, transport: target.transport.name, round };
      const share = scenario.workload.share;
      const timing = await cfg.schedule?.next(
        scenario,
        share ? arrivalOffsetMs(scenario.load, share.count, share.index) : 0,
      );
      const mode = modeOf(target);
      const rec = cfg.recordTrace && !cfg.recordTrace.written ? createTraceRecorder(mode.engine === "real") : undefined;
      const work = workFor(mode);
      const toLog = log && ((o: StreamOutcome) => log.write(at, o));
      const win = await measureWindow({
        target,
        scenario,
        work,
        mode,
        goodput,
        round,
        rounds: cfg.repeats,
        order,
        monitor,
        workers: cfg.workers,
        progress,
        onOutcome: rec
          ? (o) => {
              rec.record(o, work(o.seq));
              toLog?.(o);
            }
          : toLog,
      });
      if (rec && cfg.recordTrace) {
        await writeTraceFile(cfg.recordTrace.path, rec.entries());
        cfg.recordTrace.written = true;
        progress.line(`trace of ${target.transport.name}'s round-1 window written to ${cfg.recordTrace.path}`);
      }
      if (timing) win.timing = timing;
      windows.push(win);
      progress.line(windowLine(win));
    }
  }
  progress.checkpoint(`scenario ${scenario.name} done`);
  return summarizeScenario(
    recordableScenario(scenario),
    windows,
    cfg.slos,
    fleet.active.map((t) => t.transport.name),
  );
}
