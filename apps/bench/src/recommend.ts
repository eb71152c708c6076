import { fmt } from "./format.js";
import { verificationVerdict } from "./report/verification-text.js";
import { vsDirectVerdict } from "./report/vs-direct.js";
import { figure } from "./report/wire-cost.js";
import {
  type BenchResult,
  type FigureName,
  HIGHER_IS_BETTER,
  type ScenarioResult,
  type TransportSummary,
} from "./result.js";
import { withinNoise } from "./stats-math.js";

/** The criteria the recommendation compares, with their wording and unit. */
const CRITERIA: Array<{ figure: FigureName; what: string; unit: string; scale?: number; diff?: boolean }> = [
  { figure: "ttftP50", what: "time to first token (p50)", unit: "ms" },
  { figure: "e2eP99", what: "tail latency (E2E p99)", unit: "ms" },
  { figure: "rps", what: "throughput", unit: "req/s" },
  { figure: "serverCpuPerRequestUs", what: "server CPU per request", unit: "µs" },
  { figure: "bytesPerRequest", what: "bytes on the wire per request", unit: "B" },
  // The overhead table's figure (ms in the summaries, µs in the table): E2E − the server's own total_duration. It
  // can be near zero or negative, so the gap is quoted as a difference, not a ratio.
  {
    figure: "overheadP50",
    what: "what the wire adds per request (p50, the overhead table)",
    unit: "µs",
    scale: 1000,
    diff: true,
  },
];

/** The verdict on one criterion in one scenario. */
export interface CriterionVerdict {
  scenario: string;
  figure: FigureName;
  what: string;
  /** Best transport by median. */
  best: string;
  /** Transports indistinguishable from the best (within the noise), best excluded. */
  tiedWith: string[];
  /** The figure's text. */
  text: string;
  /** Transports that had the figure (1: nothing to compare). */
  contenders: number;
}

function rank(summaries: TransportSummary[], f: FigureName): TransportSummary[] {
  const hib = HIGHER_IS_BETTER.has(f);
  // figure(): results recorded before a figure existed have none (NaN), and are left out of that criterion.
  return summaries
    .filter((s) => Number.isFinite(figure(s, f).median))
    .sort((a, b) => (hib ? figure(b, f).median - figure(a, f).median : figure(a, f).median - figure(b, f).median));
}

/** Compares the non-reference transports of one scenario on every criterion. */
export function judgeScenario(sr: ScenarioResult, references: ReadonlySet<string>): CriterionVerdict[] {
  const candidates = sr.summaries.filter((s) => !references.has(s.transport));
  const out: CriterionVerdict[] = [];
  for (const c of CRITERIA) {
    const ranked = rank(candidates, c.figure);
    if (ranked.length === 0) continue;
    const best = ranked[0];
    const b = figure(best, c.figure);
    const tied = ranked
      .slice(1)
      .filter((s) => withinNoise(b, figure(s, c.figure)))
      .map((s) => s.transport);
    const next = ranked.find((s) => !tied.includes(s.transport) && s !== best);
    const k = c.scale ?? 1;
    const bm = b.median * k;
    let text: string;
    if (ranked.length === 1) text = `only ${best.transport} ran: ${fmt(bm)} ${c.unit}`;
    else if (tied.length === ranked.length - 1) {
      text = `no clear winner — ${[best.transport, ...tied].join(", ")} are within the noise of each other (best median ${fmt(bm)} ${c.unit} by ${best.transport})`;
    } else {
      const n = figure(next!, c.figure).median * k;
      const gap = c.diff ? `${fmt(n - bm)} ${c.unit} more` : `${(n / bm).toFixed(2)}× the leader's`;
      text = `${best.transport} leads with ${fmt(bm)} ${c.unit}${tied.length ? ` (tied within the noise with ${tied.join(", ")})` : ""}; the next clearly different, ${next!.transport}, has ${fmt(n)} ${c.unit} (${gap})`;
    }
    out.push({
      scenario: sr.scenario.name,
      figure: c.figure,
      what: c.what,
      best: best.transport,
      tiedWith: tied,
      text,
      contenders: ranked.length,
    });
  }
  return out;
}

/** A performance target from the protocol issues, judged on the data. */
export interface TargetVerdict {
  scenario: string;
  target: string;
  /** "holds", "misses" or "tie" (within the noise), or "n/a" when a side did not run. */
  status: "holds" | "misses" | "tie" | "n/a";
  text: string;
}

/** The MCP target (throughput ≥ 0.75× the raw TCP echo floor) and the Connect target (≥ the grpc-js pair). */
export function judgeTargets(sr: ScenarioResult): TargetVerdict[] {
  const by = new Map(sr.summaries.map((s) => [s.transport, s]));
  const out: TargetVerdict[] = [];
  const echo = by.get("echo");
  for (const name of ["mcp-tcp", "mcp-uds"]) {
    const m = by.get(name);
    if (!m || !echo) {
      out.push({
        scenario: sr.scenario.name,
        target: `${name} ≥ 0.75× echo`,
        status: "n/a",
        text: `${name} or echo did not run`,
      });
      continue;
    }
    const ratio = m.figures.rps.median / echo.figures.rps.median;
    const lo = m.figures.rps.min / echo.figures.rps.max;
    const hi = m.figures.rps.max / echo.figures.rps.min;
    const status = lo >= 0.75 ? "holds" : hi < 0.75 ? "misses" : ratio >= 0.75 ? "holds" : "misses";
    // Only a delaying engine can pace both alike; with a zero-delay engine a tie means the wire costs the same.
    const { ttftMs, interTokenMs } = sr.scenario.workload.engine;
    const enginePaced = ratio >= 0.95 && (ttftMs > 0 || interTokenMs > 0);
    out.push({
      scenario: sr.scenario.name,
      target: `${name} ≥ 0.75× echo`,
      status,
      text: `${name} reaches ${ratio.toFixed(2)}× the echo floor's throughput (range over rounds ${lo.toFixed(2)}–${hi.toFixed(2)}×)${enginePaced ? " — at this load the engine, not the wire, sets the pace" : ""}`,
    });
  }
  const ref = by.get("grpc-js");
  for (const name of ["connect-grpc", "connect"]) {
    const c = by.get(name);
    if (!c || !ref) {
      out.push({
        scenario: sr.scenario.name,
        target: `${name} ≥ grpc-js`,
        status: "n/a",
        text: `${name} or grpc-js did not run`,
      });
      continue;
    }
    const ratio = c.figures.rps.median / ref.figures.rps.median;
    const tie = withinNoise(c.figures.rps, ref.figures.rps);
    const status = ratio >= 1 ? "holds" : tie ? "tie" : "misses";
    const r = (x: TransportSummary) =>
      `${fmt(x.figures.rps.median, 0)} (${fmt(x.figures.rps.min, 0)}–${fmt(x.figures.rps.max, 0)})`;
    out.push({
      scenario: sr.scenario.name,
      target: `${name} ≥ grpc-js`,
      status,
      text: `${name} runs at ${ratio.toFixed(2)}× the grpc-js pair's throughput, ${r(c)} vs ${r(ref)} req/s${tie && ratio < 1 ? " — within the noise (the ranges overlap or the medians differ by under 5%), so the data cannot confirm the gap" : ""}; TTFT p50 ${fmt(c.figures.ttftP50.median)} vs ${fmt(ref.figures.ttftP50.median)} ms`,
    });
  }
  return out;
}

/**
 * The recommendation section: per scenario, who wins on each criterion and where the differences are noise, the
 * targets, and an overall pick by wins. Generated from the data only.
 */
export function recommend(result: BenchResult): string[] {
  const refs = new Set(result.transports.filter((t) => t.reference).map((t) => t.name));
  const lines: string[] = [];
  // Per transport: criteria on which it led clearly, outside the noise of every other. A lead within the noise
  // (tied) counts for no one: the data cannot tell those wires apart on it.
  const wins = new Map<string, number>();
  let criteria = 0;
  let tiedCriteria = 0;
  for (const sr of result.scenarios) {
    lines.push(`**${sr.scenario.name}** (${sr.scenario.description}, ${result.repeats} round(s), median and range):`);
    for (const v of judgeScenario(sr, refs)) {
      lines.push(`- ${v.what}: ${v.text}.`);
      if (v.contenders < 2) continue;
      criteria++;
      if (v.tiedWith.length > 0) tiedCriteria++;
      else wins.set(v.best, (wins.get(v.best) ?? 0) + 1);
    }
    for (const t of judgeTargets(sr))
      if (t.status !== "n/a") lines.push(`- target ${t.target}: **${t.status}** — ${t.text}.`);
    const vd = vsDirectVerdict(sr);
    if (vd) lines.push(`- ${vd}.`);
  }
  const verified = verificationVerdict(result);
  if (verified) lines.push(verified);
  const overall = overallLine(wins, criteria, tiedCriteria);
  if (overall) lines.push(overall);
  if (result.generatorWarnings.length > 0) {
    lines.push(
      `Caution: the load generator limited ${result.generatorWarnings.length} measurement(s); see the warnings section.`,
    );
  }
  return lines;
}

/**
 * The overall line: who led clearly (outside the noise) on the most criteria; criteria whose best were within the
 * noise of each other are said as such and counted for no one.
 */
export function overallLine(wins: ReadonlyMap<string, number>, criteria: number, tied: number): string | undefined {
  if (criteria === 0) return undefined;
  const ties =
    tied > 0 ? ` On ${tied} of ${criteria} the best were within the noise of each other: counted for no one.` : "";
  const ranked = [...wins.entries()].sort((a, b) => b[1] - a[1]);
  if (ranked.length === 0)
    return `**Overall:** no wire led clearly on any of the ${criteria} scenario criteria — every lead was within the noise, so the data does not pick one.`;
  const [top, n] = ranked[0];
  const coLeaders = ranked.filter(([, k]) => k === n).map(([t]) => t);
  const others = ranked
    .filter(([, k]) => k < n)
    .map(([t, k]) => `${t} ${k}`)
    .join(", ");
  const rest = others ? `; others: ${others}` : "";
  return coLeaders.length > 1
    ? `**Overall:** ${coLeaders.join(" and ")} each led clearly on ${n} of ${criteria} scenario criteria — the data does not separate them${rest}.${ties}`
    : `**Overall:** ${top} led clearly (outside the noise) on ${n} of ${criteria} scenario criteria${rest}.${ties}`;
}
