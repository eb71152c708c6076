import type { InferenceClient } from "@modelwire/core";
import { type Fleet, workModeOf } from "./fleet.js";
import { type LoadStats, runClosedLoop, runOpenLoop } from "./load.js";
import type { Progress } from "./progress.js";
import { createRunRecorder, type RecordedRun } from "./recorder.js";
import type { BenchResult, Scenario, SweepPoint, SweepResult } from "./result.js";
import { evaluateSlos, type Slo, type SloResult } from "./slo.js";
import type { WorkItem } from "./stream-call.js";
import { createWorkSource } from "./workload.js";

/** The sweep: open-loop rates rising by `factor` until an SLO breaks. */
export interface SweepConfig {
  /** Scenario whose workload is swept (its load spec is replaced by open-loop rates). */
  scenario: Scenario;
  startRps: number;
  factor: number;
  maxSteps: number;
  stepMs: number;
  /** SLOs that define the knee. */
  slos: Slo[];
}

/** One open-loop step at a fixed rate, judged against the SLOs. */
export interface RateStep {
  point: SweepPoint;
  /** What broke, when the step missed (SLOs with their measured value, or the rate not kept up). */
  broken: string[];
}

/** The share of the offered rate a step must achieve to count as kept up. */
const KEPT_UP = 0.9;

/** The closed-loop warm-up before a step of `stepMs`. */
const stepWarmupMs = (stepMs: number) => Math.min(300, stepMs);

/**
 * The most step windows the sweep of `transports` transports can run, and each one's planned time: every step may
 * be repeated once (a breach is confirmed), so at most 2 × `maxSteps` per transport. The progress display shows it
 * as an upper bound, since where the knee lies is what the sweep finds out.
 */
export function sweepBound(
  sw: Pick<SweepConfig, "maxSteps" | "stepMs">,
  transports: number,
): { units: number; plannedMs: number } {
  return { units: transports * 2 * sw.maxSteps, plannedMs: stepWarmupMs(sw.stepMs) + sw.stepMs };
}

/**
 * Runs one step: a short closed-loop warm-up, then `stepMs` of constant-rate open-loop load at `rate`, judged
 * against `slos` (and against achieving 90% of the offered rate).
 */
export async function runRateStep(
  client: InferenceClient,
  work: (seq: number) => WorkItem,
  rate: number,
  stepMs: number,
  slos: readonly Slo[],
  progress?: Progress,
): Promise<RateStep> {
  const rec = createRunRecorder();
  progress?.status("warming up");
  await runClosedLoop({
    client,
    work,
    onOutcome: () => {},
    concurrency: 8,
    durationMs: stepWarmupMs(stepMs),
    maxRequests: Number.MAX_SAFE_INTEGER,
  });
  progress?.status("measuring");
  const load = await runOpenLoop({
    client,
    work,
    onOutcome: (o) => {
      progress?.count();
      rec.record(o);
    },
    ratePerSec: rate,
    arrival: "constant",
    durationMs: stepMs,
    maxRequests: Number.MAX_SAFE_INTEGER,
    drainMs: 5000,
    callTimeoutMs: 10_000,
  });
  return judgeStep(rec.toJSON(), load, slos);
}

/** Judges a measured step: SLO verdicts plus the kept-up rule. */
export function judgeStep(run: RecordedRun, load: LoadStats, slos: readonly Slo[]): RateStep {
  const errorRate = run.requests > 0 ? (run.requests - run.ok) / run.requests : 1;
  const verdict: SloResult[] = evaluateSlos(slos, {
    latency: run.summaries,
    errorRate,
    rps: load.achievedRps,
    tokensPerSec: run.tokens / (load.elapsedMs / 1000),
    goodputRatio: run.requests > 0 ? run.good / run.requests : 0,
  });
  const keptUp = load.achievedRps >= KEPT_UP * load.offeredRps;
  const broken = verdict.filter((v) => !v.ok).map((v) => `${v.slo.source} (measured ${v.actual.toFixed(3)})`);
  if (!keptUp)
    broken.push(
      `achieved ${load.achievedRps.toFixed(0)} < ${KEPT_UP * 100}% of offered ${load.offeredRps.toFixed(0)} req/s`,
    );
  const point: SweepPoint = {
    offeredRps: load.offeredRps,
    achievedRps: load.achievedRps,
    ttftP50: run.summaries.ttft.p50,
    ttftP99: run.summaries.ttft.p99,
    e2eP99: run.summaries.e2e.p99,
    errorRate,
    sloOk: broken.length === 0,
  };
  return { point, broken };
}

/**
 * Sweeps one transport: rates from `startRps` rising by `factor` until a step misses twice in a row (one
 * scheduling hiccup on a shared machine must not end the sweep) or `maxSteps` is reached. `step` measures one rate
 * ({@link runRateStep} against a client, or anything else that judges a rate).
 */
export async function sweepTransport(
  name: string,
  step: (rate: number) => Promise<RateStep>,
  sw: Pick<SweepConfig, "startRps" | "factor" | "maxSteps">,
  progress: Progress,
): Promise<SweepResult> {
  const points: SweepPoint[] = [];
  let rate = sw.startRps;
  let kneeRps: number | undefined;
  let stoppedBecause = `reached ${sw.maxSteps} steps`;
  // Each step is one more window for the overall progress, known only when it starts.
  const measured = async (r: number) => {
    progress.begin(`sweep · ${name} ${r} req/s`);
    try {
      return await step(r);
    } finally {
      progress.end();
    }
  };
  for (let i = 0; i < sw.maxSteps; i++) {
    let last = await measured(rate);
    progress.line(sweepLine(name, last.point, last.point.sloOk ? "ok" : "breach, repeating the step"));
    if (!last.point.sloOk) {
      last = await measured(rate);
      progress.line(sweepLine(name, last.point, last.point.sloOk ? "ok" : "BREACH"));
    }
    points.push(last.point);
    if (!last.point.sloOk) {
      stoppedBecause = `at ${rate} req/s (twice): ${last.broken.join("; ")}`;
      break;
    }
    kneeRps = rate;
    rate = Math.round(rate * sw.factor);
  }
  const r: SweepResult = { transport: name, points, stoppedBecause };
  if (kneeRps !== undefined) r.kneeRps = kneeRps;
  return r;
}

/** The progress line for one sweep step. */
export function sweepLine(name: string, point: SweepPoint, verdict: string): string {
  return `  sweep ${name.padEnd(12)} offered ${point.offeredRps.toFixed(0).padStart(6)} achieved ${point.achievedRps.toFixed(0).padStart(6)} req/s  ttft p99 ${point.ttftP99.toFixed(2)} ms  ${verdict}`;
}

/** Runs the sweep for every active transport of the fleet, one after the other. */
export async function runSweep(fleet: Fleet, sw: SweepConfig, progress: Progress): Promise<BenchResult["sweep"]> {
  await fleet.configureEngine(sw.scenario.workload.engine);
  progress.line(
    `sweep: ${sw.scenario.name} workload, open loop from ${sw.startRps} req/s ×${sw.factor} until ${sw.slos.map((x) => x.source).join(", ")} breaks`,
  );
  const results: SweepResult[] = [];
  for (const [i, t] of fleet.active.entries()) {
    const work = createWorkSource(sw.scenario.workload, workModeOf(t, fleet.model));
    // What this transport and the ones after it may still run.
    const bound = sweepBound(sw, fleet.active.length - i);
    progress.mayAdd(bound.units, bound.plannedMs, "sweep");
    const step = (rate: number) => runRateStep(t.client, work, rate, sw.stepMs, sw.slos, progress);
    results.push(await sweepTransport(t.transport.name, step, sw, progress));
  }
  progress.mayAdd(0, 0);
  progress.checkpoint("sweep done");
  return { scenario: sw.scenario.name, slos: sw.slos.map((s) => s.source), results };
}
