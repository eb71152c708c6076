import { fmt } from "./format.js";
import { verificationVerdict } from "./report/verification-text.js";
import { vsDirectVerdict } from "./report/vs-direct.js";
import {
  type BenchResult,
  type FigureName,
  HIGHER_IS_BETTER,
  type ScenarioResult,
  type TransportSummary,
} from "./result.js";
import { withinNoise } from "./stats-math.js";

/** The criteria the recommendation compares, with their wording and unit. */
const CRITERIA: Array<{ figure: FigureName; what: string; unit: string }> = [
  { figure: "ttftP50", what: "time to first token (p50)", unit: "ms" },
  { figure: "e2eP99", what: "tail latency (E2E p99)", unit: "ms" },
  { figure: "rps", what: "throughput", unit: "req/s" },
  { figure: "serverCpuPerRequestUs", what: "server CPU per request", unit: "µs" },
  { figure: "bytesPerRequest", what: "bytes on the wire per request", unit: "B" },
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
}

function rank(summaries: TransportSummary[], figure: FigureName): TransportSummary[] {
  const hib = HIGHER_IS_BETTER.has(figure);
  return summaries
    .filter((s) => Number.isFinite(s.figures[figure].median))
    .sort((a, b) =>
      hib ? b.figures[figure].median - a.figures[figure].median : a.figures[figure].median - b.figures[figure].median,
    );
}

/** Compares the non-reference transports of one scenario on every criterion. */
export function judgeScenario(sr: ScenarioResult, references: ReadonlySet<string>): CriterionVerdict[] {
  const candidates = sr.summaries.filter((s) => !references.has(s.transport));
  const out: CriterionVerdict[] = [];
  for (const c of CRITERIA) {
    const ranked = rank(candidates, c.figure);
    if (ranked.length === 0) continue;
    const best = ranked[0];
    const b = best.figures[c.figure];
    const tied = ranked
      .slice(1)
      .filter((s) => withinNoise(b, s.figures[c.figure]))
      .map((s) => s.transport);
    const next = ranked.find((s) => !tied.includes(s.transport) && s !== best);
    let text: string;
    if (ranked.length === 1) text = `only ${best.transport} ran: ${fmt(b.median)} ${c.unit}`;
    else if (tied.length === ranked.length - 1) {
      text = `no clear winner — ${[best.transport, ...tied].join(", ")} are within the noise of each other (best median ${fmt(b.median)} ${c.unit} by ${best.transport})`;
    } else {
      const n = next!.figures[c.figure].median;
      text = `${best.transport} leads with ${fmt(b.median)} ${c.unit}${tied.length ? ` (tied within the noise with ${tied.join(", ")})` : ""}; the next clearly different, ${next!.transport}, has ${fmt(n)} ${c.unit} (${(n / b.median).toFixed(2)}× the leader's)`;
    }
    out.push({
      scenario: sr.scenario.name,
      figure: c.figure,
      what: c.what,
      best: best.transport,
      tiedWith: tied,
      text,
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
  // Per transport: criteria on which it led or shared the lead (tied within the noise with the leader).
  const wins = new Map<string, number>();
  let criteria = 0;
  for (const sr of result.scenarios) {
    lines.push(`**${sr.scenario.name}** (${sr.scenario.description}, ${result.repeats} round(s), median and range):`);
    for (const v of judgeScenario(sr, refs)) {
      lines.push(`- ${v.what}: ${v.text}.`);
      criteria++;
      for (const t of [v.best, ...v.tiedWith]) wins.set(t, (wins.get(t) ?? 0) + 1);
    }
    for (const t of judgeTargets(sr))
      if (t.status !== "n/a") lines.push(`- target ${t.target}: **${t.status}** — ${t.text}.`);
    const vd = vsDirectVerdict(sr);
    if (vd) lines.push(`- ${vd}.`);
  }
  const verified = verificationVerdict(result);
  if (verified) lines.push(verified);
  const ranked = [...wins.entries()].sort((a, b) => b[1] - a[1]);
  if (ranked.length > 0) {
    const [top, n] = ranked[0];
    const coLeaders = ranked.filter(([, k]) => k === n).map(([t]) => t);
    const others = ranked
      .filter(([, k]) => k < n)
      .map(([t, k]) => `${t} ${k}`)
      .join(", ");
    lines.push(
      coLeaders.length > 1
        ? `**Overall:** ${coLeaders.join(" and ")} each led or shared the lead on ${n} of ${criteria} scenario criteria — the data does not separate them${others ? `; others: ${others}` : ""}.`
        : `**Overall:** ${top} led or shared the lead (within the noise) on ${n} of ${criteria} scenario criteria${others ? `; others: ${others}` : ""}.`,
    );
  }
  if (result.generatorWarnings.length > 0) {
    lines.push(
      `Caution: the load generator limited ${result.generatorWarnings.length} measurement(s); see the warnings section.`,
    );
  }
  return lines;
}
