import { fmt, fmtSpread } from "../format.js";
import type { FigureName, ScenarioResult, Spread, WindowResult } from "../result.js";
import { spreadOf } from "../stats-math.js";
import { figureOf } from "../summarize.js";
import { isDirect } from "../targets/upstreams.js";

/** The transport that talks to the upstream straight, without the gateway (`--upstream`). */
export const DIRECT = "direct";

/**
 * What one wire through the gateway costs against the direct path in one scenario. Every Δ is taken round by
 * round (the wire's window minus `direct`'s window of the same round, which ran beside it), then given as the
 * median and range over the rounds.
 */
export interface VsDirectRow {
  transport: string;
  /** Rounds that had both a window of this wire and one of `direct`. */
  rounds: number;
  /** Δ client-measured latencies, ms. */
  ttftP50: Spread;
  ttftP99: Spread;
  e2eP50: Spread;
  e2eP99: Spread;
  /** Δ of the per-request overhead p50 (E2E − the upstream's own total_duration), µs. */
  overheadP50Us: Spread;
  /** The gateway's CPU (the direct path has none), µs per request and per token (eval_count). */
  gatewayCpuPerRequestUs: Spread;
  gatewayCpuPerTokenUs: Spread;
  /** False when the gateway's process could not be read. */
  gatewayMeasured: boolean;
}

function delta(pairs: Array<[WindowResult, WindowResult]>, f: FigureName, scale = 1): Spread {
  return spreadOf(pairs.map(([w, d]) => (figureOf(w, f) - figureOf(d, f)) * scale));
}

/**
 * One row per wire beside `direct`; none when the scenario did not run `direct`. With several upstreams (a
 * `direct-N` per upstream), one row per wire and baseline, named `WIRE vs direct-N`.
 */
export function vsDirectRows(sr: ScenarioResult): VsDirectRow[] {
  const baselines = sr.summaries.map((s) => s.transport).filter(isDirect);
  return baselines.flatMap((b) => rowsAgainst(sr, b, baselines.length > 1));
}

function rowsAgainst(sr: ScenarioResult, baseline: string, named: boolean): VsDirectRow[] {
  const direct = new Map(sr.windows.filter((w) => w.transport === baseline).map((w) => [w.round, w]));
  if (direct.size === 0) return [];
  return sr.summaries
    .filter((s) => !isDirect(s.transport))
    .map((s) => {
      const pairs = sr.windows
        .filter((w) => w.transport === s.transport && direct.has(w.round))
        .map((w): [WindowResult, WindowResult] => [w, direct.get(w.round)!]);
      const own = (f: FigureName) => spreadOf(pairs.map(([w]) => figureOf(w, f)));
      return {
        transport: named ? `${s.transport} vs ${baseline}` : s.transport,
        rounds: pairs.length,
        ttftP50: delta(pairs, "ttftP50"),
        ttftP99: delta(pairs, "ttftP99"),
        e2eP50: delta(pairs, "e2eP50"),
        e2eP99: delta(pairs, "e2eP99"),
        overheadP50Us: delta(pairs, "overheadP50", 1000),
        gatewayCpuPerRequestUs: own("serverCpuPerRequestUs"),
        gatewayCpuPerTokenUs: own("serverCpuPerTokenUs"),
        gatewayMeasured: pairs.every(([w]) => w.cost.serverMeasured !== false),
      };
    });
}

const signed = (s: Spread, digits?: number): string => {
  if (!Number.isFinite(s.median)) return "–";
  const text = fmtSpread(s, digits);
  return s.median > 0 ? `+${text}` : text;
};

/** The header and the cells of a row, the same in Markdown and HTML. */
export const VS_DIRECT_HEADER = [
  "transport",
  "Δ TTFT p50 ms",
  "Δ TTFT p99 ms",
  "Δ E2E p50 ms",
  "Δ E2E p99 ms",
  "Δ added per request p50 µs",
  "gateway CPU µs/req",
  "gateway CPU µs/token",
];

/** A row's cells (see {@link VS_DIRECT_HEADER}). */
export function vsDirectCells(r: VsDirectRow): string[] {
  const cpu = (s: Spread, digits: number) =>
    r.gatewayMeasured ? (Number.isFinite(s.median) ? fmtSpread(s, digits) : "–") : "not measured";
  return [
    r.transport,
    signed(r.ttftP50),
    signed(r.ttftP99),
    signed(r.e2eP50),
    signed(r.e2eP99),
    signed(r.overheadP50Us, 0),
    cpu(r.gatewayCpuPerRequestUs, 0),
    cpu(r.gatewayCpuPerTokenUs, 1),
  ];
}

/** How the table reads (one paragraph, the same in Markdown and HTML). */
export const VS_DIRECT_EXPLAINED =
  "Against the direct path: each wire through the gateway minus direct (the same Ollama HTTP client straight to the upstream) in the same round, median and range over the rounds; + means the gateway hop costs that much. Δ added per request compares the two overheads measured against the upstream's own total_duration, so the upstream's variance cancels out. The gateway's CPU is the whole cost the direct path does not have. With several upstreams each wire goes through the fleet and is compared with each upstream straight (WIRE vs direct-N): a − there is what spreading the load saves.";

/** The Markdown lines of the table, or none without `direct`. */
export function vsDirectMarkdown(sr: ScenarioResult): string[] {
  const rows = vsDirectRows(sr);
  if (rows.length === 0) return [];
  return [
    `| ${VS_DIRECT_HEADER.join(" | ")} |`,
    `|---|${VS_DIRECT_HEADER.slice(1)
      .map(() => "--:")
      .join("|")}|`,
    ...rows.map((r) => `| ${vsDirectCells(r).join(" | ")} |`),
  ];
}

/** One sentence for the recommendation: the cheapest wire through the gateway against direct, if `direct` ran. */
export function vsDirectVerdict(sr: ScenarioResult): string | undefined {
  const rows = vsDirectRows(sr).filter((r) => Number.isFinite(r.ttftP50.median));
  if (rows.length === 0) return undefined;
  const best = [...rows].sort((a, b) => a.e2eP50.median - b.e2eP50.median)[0];
  const ms = (s: Spread) => `${s.median >= 0 ? "+" : ""}${fmt(s.median)} ms`;
  return `against the direct path: the cheapest gateway hop is ${best.transport} (Δ TTFT p50 ${ms(best.ttftP50)}, Δ E2E p50 ${ms(best.e2eP50)}, Δ E2E p99 ${ms(best.e2eP99)}${best.gatewayMeasured && Number.isFinite(best.gatewayCpuPerTokenUs.median) ? `, gateway CPU ${fmt(best.gatewayCpuPerTokenUs.median, 1)} µs/token` : ""})`;
}
