import type { LatencySummary } from "./histogram.js";

/** Metrics an SLO may bound. Latency ones take a percentile suffix (`ttft_p99`); rates are fractions. */
export const SLO_METRICS = [
  "ttft",
  "e2e",
  "gap",
  "tpot",
  "stall",
  "error_rate",
  "rps",
  "tokens_per_s",
  "goodput",
] as const;

/** One threshold, e.g. `ttft_p99<50ms`. */
export interface Slo {
  /** The text it was parsed from. */
  source: string;
  /** Metric: `ttft`, `e2e`, `gap`, `tpot`, `stall`, `error_rate`, `rps`, `tokens_per_s`, `goodput`. */
  metric: (typeof SLO_METRICS)[number];
  /** Latency percentile key (`p50`, `p90`, `p95`, `p99`, `p999`, `max`, `mean`), latency metrics only. */
  stat?: "p50" | "p90" | "p95" | "p99" | "p999" | "max" | "mean";
  /** `<`, `<=`, `>`, `>=`. */
  op: "<" | "<=" | ">" | ">=";
  /** Bound in the metric's base unit: ms for latencies, a fraction for rates (0.1% → 0.001), per second otherwise. */
  value: number;
}

/** Thrown for a malformed `--slo`; the CLI turns it into exit code 2. */
export class SloParseError extends Error {
  override name = "SloParseError";
}

const LATENCY = new Set(["ttft", "e2e", "gap", "tpot", "stall"]);
const STATS = new Set(["p50", "p90", "p95", "p99", "p999", "p99.9", "max", "mean"]);
const MAX_SLO_TEXT = 4096;

/**
 * Parses `ttft_p99<50ms,error_rate<0.1%,rps>=100`. Units: `us`, `ms` (default), `s` for latencies; `%` or a bare
 * fraction for rates. Throws {@link SloParseError} naming the bad clause.
 */
export function parseSlos(text: string): Slo[] {
  if (text.length > MAX_SLO_TEXT) throw new SloParseError(`--slo is longer than ${MAX_SLO_TEXT} characters`);
  const out: Slo[] = [];
  for (const raw of text.split(",")) {
    const clause = raw.trim();
    if (clause === "") continue;
    const m =
      /^([a-z0-9_]+?)(?:_(p50|p90|p95|p99|p999|p99\.9|max|mean))?\s*(<=|>=|<|>)\s*([0-9]*\.?[0-9]+)\s*(us|µs|ms|s|%)?$/.exec(
        clause,
      );
    if (!m) throw new SloParseError(`cannot parse SLO "${clause}" (expected e.g. ttft_p99<50ms or error_rate<0.1%)`);
    const [, metric, statRaw, op, num, unit] = m;
    if (!(SLO_METRICS as readonly string[]).includes(metric)) {
      throw new SloParseError(`unknown SLO metric "${metric}" in "${clause}" (known: ${SLO_METRICS.join(", ")})`);
    }
    const value = Number(num);
    const slo: Slo = { source: clause, metric: metric as Slo["metric"], op: op as Slo["op"], value };
    if (LATENCY.has(metric)) {
      const stat = statRaw === "p99.9" ? "p999" : (statRaw ?? "p99");
      if (!STATS.has(stat)) throw new SloParseError(`bad statistic in "${clause}"`);
      slo.stat = stat as Slo["stat"];
      if (unit === "%") throw new SloParseError(`"${clause}": a latency takes us, ms or s, not %`);
      slo.value = unit === "s" ? value * 1000 : unit === "us" || unit === "µs" ? value / 1000 : value;
    } else {
      if (statRaw) throw new SloParseError(`"${clause}": ${metric} takes no percentile`);
      if (unit && unit !== "%") throw new SloParseError(`"${clause}": ${metric} takes % or a plain number`);
      if (metric === "error_rate" || metric === "goodput") {
        slo.value = unit === "%" ? value / 100 : value;
        if (slo.value > 1) throw new SloParseError(`"${clause}": a rate must be at most 100%`);
      }
    }
    out.push(slo);
  }
  return out;
}

/** The figures SLOs are checked against. */
export interface SloSubject {
  /** Latency summaries by metric name. */
  latency: Partial<Record<"ttft" | "e2e" | "gap" | "tpot" | "stall", LatencySummary>>;
  /** Failed / finished. */
  errorRate: number;
  /** Achieved requests per second. */
  rps: number;
  /** Tokens per second. */
  tokensPerSec: number;
  /** Good (within SLO) / finished. */
  goodputRatio: number;
}

/** One SLO's verdict. */
export interface SloResult {
  slo: Slo;
  /** The measured figure in the SLO's unit. */
  actual: number;
  ok: boolean;
}

/** Checks every SLO against a subject. */
export function evaluateSlos(slos: readonly Slo[], s: SloSubject): SloResult[] {
  return slos.map((slo) => {
    let actual: number;
    if (slo.stat) {
      const sum = s.latency[slo.metric as keyof SloSubject["latency"]];
      actual = sum ? sum[slo.stat] : Number.NaN;
    } else if (slo.metric === "error_rate") actual = s.errorRate;
    else if (slo.metric === "rps") actual = s.rps;
    else if (slo.metric === "tokens_per_s") actual = s.tokensPerSec;
    else actual = s.goodputRatio;
    const ok =
      Number.isFinite(actual) &&
      (slo.op === "<"
        ? actual < slo.value
        : slo.op === "<="
          ? actual <= slo.value
          : slo.op === ">"
            ? actual > slo.value
            : actual >= slo.value);
    return { slo, actual, ok };
  });
}

/** Per-request bounds for goodput: the `<`/`<=` latency SLOs, applied to each request. */
export function goodputBoundsFromSlos(slos: readonly Slo[]): { ttftMs?: number; e2eMs?: number; tpotMs?: number } {
  const b: { ttftMs?: number; e2eMs?: number; tpotMs?: number } = {};
  for (const s of slos) {
    if (s.op !== "<" && s.op !== "<=") continue;
    if (s.metric === "ttft") b.ttftMs = Math.min(b.ttftMs ?? Number.POSITIVE_INFINITY, s.value);
    if (s.metric === "e2e") b.e2eMs = Math.min(b.e2eMs ?? Number.POSITIVE_INFINITY, s.value);
    if (s.metric === "tpot") b.tpotMs = Math.min(b.tpotMs ?? Number.POSITIVE_INFINITY, s.value);
  }
  return b;
}

/** Process exit codes of `modelwire bench`. */
export const ExitCode = {
  /** Ran, every SLO held, every token verified. */
  Ok: 0,
  /** An SLO was breached. */
  SloBreached: 1,
  /** Bad flags or scenario. */
  Usage: 2,
  /** Token verification failed (lost, duplicated, out-of-order or mismatched tokens). */
  VerificationFailed: 3,
  /** The run itself failed (gateway did not start, a transport could not connect). */
  RunFailed: 4,
} as const;
