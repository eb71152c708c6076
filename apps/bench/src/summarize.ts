import type { LatencySummary } from "./histogram.js";
import { createRunRecorder, type HistogramName } from "./recorder.js";
import {
  FIGURES,
  type FigureName,
  type Scenario,
  type ScenarioResult,
  type TransportSummary,
  type WindowResult,
} from "./result.js";
import { evaluateSlos, type Slo } from "./slo.js";
import { spreadOf } from "./stats-math.js";

/** The latency figures: which histogram and which percentile each one reads. */
const LATENCY_FIGURES = {
  ttftP50: ["ttft", "p50"],
  ttftP99: ["ttft", "p99"],
  e2eP50: ["e2e", "p50"],
  e2eP99: ["e2e", "p99"],
  tpotP50: ["tpot", "p50"],
  gapP99: ["gap", "p99"],
  stallP99: ["stall", "p99"],
  overheadP50: ["overhead", "p50"],
  overheadP99: ["overhead", "p99"],
  ttftOverheadP50: ["ttftOverhead", "p50"],
  ttftOverheadP99: ["ttftOverhead", "p99"],
  tokenOverheadP50: ["tokenOverhead", "p50"],
} as const satisfies Partial<Record<FigureName, readonly [HistogramName, keyof LatencySummary]>>;
type LatencyFigure = keyof typeof LATENCY_FIGURES;
/** The figures a window carries itself; the rest are its cost figures. */
type WindowFigure = "rps" | "tokensPerSec" | "errorRate";
/** Histograms that stay empty where the wire reports no server durations: no value then, never a zero. */
const ABSENT_WHEN_EMPTY: ReadonlySet<HistogramName> = new Set(["overhead", "ttftOverhead", "tokenOverhead"]);

const isLatency = (f: FigureName): f is LatencyFigure => f in LATENCY_FIGURES;
const isWindowFigure = (f: FigureName): f is WindowFigure => f === "rps" || f === "tokensPerSec" || f === "errorRate";

/** One figure of one window (NaN when the window has no value for it). */
export function figureOf(w: WindowResult, f: FigureName): number {
  if (isLatency(f)) {
    const [histogram, stat] = LATENCY_FIGURES[f];
    const s = w.run.summaries[histogram];
    if (!s || (s.count === 0 && ABSENT_WHEN_EMPTY.has(histogram))) return Number.NaN;
    return s[stat];
  }
  if (isWindowFigure(f)) return w[f];
  if (f === "tokensPerChunk") return w.run.chunks > 0 ? w.run.tokens / w.run.chunks : Number.NaN;
  const cost: Exclude<FigureName, LatencyFigure | WindowFigure | "tokensPerChunk"> = f;
  return w.cost[cost];
}

/** Summarizes one transport's windows: merged histograms, median and spread of every figure, SLO verdicts. */
export function summarizeWindows(transport: string, windows: WindowResult[], slos: readonly Slo[]): TransportSummary {
  const rec = createRunRecorder();
  for (const w of windows) rec.merge(w.run);
  const merged = rec.toJSON();
  const figures = Object.fromEntries(
    FIGURES.map((f) => [f, spreadOf(windows.map((w) => figureOf(w, f)))]),
  ) as TransportSummary["figures"];
  const errorRate = merged.requests > 0 ? (merged.requests - merged.ok) / merged.requests : 0;
  const slo = evaluateSlos(slos, {
    latency: merged.summaries,
    errorRate,
    rps: figures.rps.median,
    tokensPerSec: figures.tokensPerSec.median,
    goodputRatio: merged.requests > 0 ? merged.good / merged.requests : 0,
  });
  const warnings = [...new Set(windows.map((w) => w.warning).filter((x): x is string => !!x))];
  return { transport, rounds: windows.length, merged, figures, slo, warnings };
}

/**
 * A scenario's result from its windows (from one run, or pooled from several): one summary per transport, in
 * `transports` order, or in order of first appearance when not given.
 */
export function summarizeScenario(
  scenario: Scenario,
  windows: WindowResult[],
  slos: readonly Slo[],
  transports: readonly string[] = [...new Set(windows.map((w) => w.transport))],
): ScenarioResult {
  const summaries = transports.map((t) =>
    summarizeWindows(
      t,
      windows.filter((w) => w.transport === t),
      slos,
    ),
  );
  return { scenario, windows, summaries };
}
