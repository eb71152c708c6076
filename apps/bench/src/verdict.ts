import type { BenchResult, ScenarioResult } from "./result.js";
import { ExitCode } from "./slo.js";

/** What a whole run concludes from its scenario summaries. */
export type RunVerdict = Pick<BenchResult, "verification" | "sloBreaches" | "generatorWarnings" | "exitCode">;

/**
 * The exit code rule: a stream that failed token verification (a stream that lost tokens counts as failed), or any
 * duplicated, out-of-order or mismatched token, beats an SLO breach, which beats success.
 */
export function exitCodeOf(verification: BenchResult["verification"], sloBreaches: readonly unknown[]): number {
  const bad = verification.failedStreams + verification.duplicated + verification.outOfOrder + verification.mismatched;
  if (bad > 0) return ExitCode.VerificationFailed;
  return sloBreaches.length > 0 ? ExitCode.SloBreached : ExitCode.Ok;
}

/**
 * Totals the verification figures, lists every SLO breach and generator warning, and applies the exit code rule:
 * the one finalisation for a fresh run and for merged result files.
 */
export function runVerdict(scenarios: readonly ScenarioResult[]): RunVerdict {
  const verification = { streams: 0, failedStreams: 0, lost: 0, duplicated: 0, outOfOrder: 0, mismatched: 0 };
  const sloBreaches: BenchResult["sloBreaches"] = [];
  const generatorWarnings: string[] = [];
  for (const sr of scenarios) {
    for (const s of sr.summaries) {
      for (const k of Object.keys(verification) as Array<keyof typeof verification>)
        verification[k] += s.merged.verify[k];
      for (const v of s.slo)
        if (!v.ok)
          sloBreaches.push({ scenario: sr.scenario.name, transport: s.transport, slo: v.slo.source, actual: v.actual });
      for (const w of s.warnings) generatorWarnings.push(`${sr.scenario.name} / ${s.transport}: ${w}`);
    }
  }
  return { verification, sloBreaches, generatorWarnings, exitCode: exitCodeOf(verification, sloBreaches) };
}
