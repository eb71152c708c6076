import { checkConsistency, emptyConsistency } from "./recorder.js";
import type { BenchResult, ConsistencyReport, ScenarioResult, Verification } from "./result.js";
import { ExitCode } from "./slo.js";

/** What a whole run concludes from its scenario summaries. */
export type RunVerdict = Pick<BenchResult, "verification" | "sloBreaches" | "generatorWarnings" | "exitCode">;

/**
 * The exit code rule: a stream that failed token verification (a stream that lost tokens counts as failed), or any
 * duplicated, out-of-order or mismatched token, beats an SLO breach, which beats success.
 */
export function exitCodeOf(verification: Verification, sloBreaches: readonly unknown[]): number {
  const bad =
    verification.failedStreams +
    verification.duplicated +
    verification.outOfOrder +
    verification.mismatched +
    (verification.consistency?.inconsistent ?? 0);
  if (bad > 0) return ExitCode.VerificationFailed;
  return sloBreaches.length > 0 ? ExitCode.SloBreached : ExitCode.Ok;
}

/**
 * The cross-wire consistency verdict of a scenario: every transport's digests compared with the first digest seen
 * for the same request on any transport (in summary order), plus each transport's own inconsistencies.
 */
export function scenarioConsistency(sr: ScenarioResult): ConsistencyReport {
  const all = emptyConsistency();
  const firstBy = new Map<string, string>();
  const examples: ConsistencyReport["examples"] = [];
  const bad = new Set<string>();
  let streams = 0;
  for (const s of sr.summaries) {
    const c = s.merged.consistency;
    if (!c) continue;
    streams += c.streams;
    all.unchecked += c.unchecked;
    for (const k of c.inconsistent) {
      if (!bad.has(k) && examples.length < 3) {
        const e = c.examples.find((x) => x.key === k);
        examples.push({
          scenario: sr.scenario.name,
          key: k,
          transports: [s.transport],
          ...(e?.text !== undefined ? { text: e.text } : {}),
          ...(e?.firstText !== undefined ? { firstText: e.firstText } : {}),
          ...(e?.at !== undefined ? { at: e.at } : {}),
        });
      }
      bad.add(k);
    }
    for (const [k, d] of Object.entries(c.digests)) {
      if (!checkConsistency(all, k, d)) {
        if (!bad.has(k) && examples.length < 3)
          examples.push({ scenario: sr.scenario.name, key: k, transports: [firstBy.get(k) ?? "?", s.transport] });
        bad.add(k);
      } else if (!firstBy.has(k)) firstBy.set(k, s.transport);
    }
  }
  return {
    streams,
    requests: Object.keys(all.digests).length,
    inconsistent: bad.size,
    unchecked: all.unchecked,
    examples,
  };
}

/**
 * Totals the verification figures, lists every SLO breach and generator warning, and applies the exit code rule:
 * the one finalisation for a fresh run and for merged result files.
 */
export function runVerdict(scenarios: readonly ScenarioResult[]): RunVerdict {
  const verification: Verification = {
    streams: 0,
    failedStreams: 0,
    lost: 0,
    duplicated: 0,
    outOfOrder: 0,
    mismatched: 0,
  };
  const consistency: ConsistencyReport = { streams: 0, requests: 0, inconsistent: 0, unchecked: 0, examples: [] };
  const sloBreaches: BenchResult["sloBreaches"] = [];
  const generatorWarnings: string[] = [];
  for (const sr of scenarios) {
    for (const s of sr.summaries) {
      for (const k of ["streams", "failedStreams", "lost", "duplicated", "outOfOrder", "mismatched"] as const)
        verification[k] += s.merged.verify[k];
      for (const v of s.slo)
        if (!v.ok)
          sloBreaches.push({ scenario: sr.scenario.name, transport: s.transport, slo: v.slo.source, actual: v.actual });
      for (const w of s.warnings) generatorWarnings.push(`${sr.scenario.name} / ${s.transport}: ${w}`);
    }
  }
  for (const sr of scenarios) {
    const c = scenarioConsistency(sr);
    consistency.streams += c.streams;
    consistency.requests += c.requests;
    consistency.inconsistent += c.inconsistent;
    consistency.unchecked += c.unchecked;
    for (const e of c.examples) if (consistency.examples.length < 3) consistency.examples.push(e);
  }
  const tokens = verification.streams > 0;
  const consistent = consistency.streams > 0;
  verification.mode =
    tokens && consistent ? "tokens+consistency" : tokens ? "tokens" : consistent ? "consistency" : "none";
  if (consistent) verification.consistency = consistency;
  return { verification, sloBreaches, generatorWarnings, exitCode: exitCodeOf(verification, sloBreaches) };
}
