import { readFile } from "node:fs/promises";
import { recommend } from "./recommend.js";
import { type BenchResult, RESULT_SCHEMA, type ScenarioResult } from "./result.js";
import { summarizeWindows } from "./runner.js";
import { ExitCode, parseSlos } from "./slo.js";

const MAX_RESULT_FILE = 256 * 1024 * 1024;

/** Reads and checks a result JSON file written by the bench. Throws naming the file and the problem. */
export async function readResultFile(path: string): Promise<BenchResult> {
  const text = await readFile(path, "utf8");
  if (text.length > MAX_RESULT_FILE) throw new Error(`${path}: larger than ${MAX_RESULT_FILE} bytes`);
  let v: Partial<BenchResult>;
  try {
    v = JSON.parse(text) as Partial<BenchResult>;
  } catch (e) {
    throw new Error(`${path}: not JSON (${(e as Error).message})`);
  }
  if (v.schema !== RESULT_SCHEMA || !Array.isArray(v.scenarios))
    throw new Error(`${path}: not a ${RESULT_SCHEMA} result file`);
  return v as BenchResult;
}

/**
 * Merges result files of the same configuration into one: each scenario's windows are pooled (rounds renumbered),
 * then medians, spreads, merged histograms, SLO verdicts and the recommendation are recomputed.
 */
export function mergeResults(results: readonly BenchResult[]): BenchResult {
  if (results.length === 0) throw new Error("nothing to merge");
  const first = results[0];
  const slos = parseSlos(first.slos.join(","));
  const byName = new Map<string, ScenarioResult>();
  for (const r of results) {
    for (const sr of r.scenarios) {
      const cur = byName.get(sr.scenario.name);
      if (!cur) {
        byName.set(sr.scenario.name, {
          scenario: sr.scenario,
          windows: sr.windows.map((w) => ({ ...w })),
          summaries: [],
        });
        continue;
      }
      const offset = Math.max(0, ...cur.windows.map((w) => w.round));
      for (const w of sr.windows) cur.windows.push({ ...w, round: w.round + offset });
    }
  }
  const scenarios = [...byName.values()].map((sr) => {
    const names = [...new Set(sr.windows.map((w) => w.transport))];
    return {
      ...sr,
      summaries: names.map((n) =>
        summarizeWindows(
          n,
          sr.windows.filter((w) => w.transport === n),
          slos,
        ),
      ),
    };
  });
  const verification = { streams: 0, failedStreams: 0, lost: 0, duplicated: 0, outOfOrder: 0, mismatched: 0 };
  const sloBreaches: BenchResult["sloBreaches"] = [];
  for (const sr of scenarios) {
    for (const s of sr.summaries) {
      for (const k of Object.keys(verification) as Array<keyof typeof verification>)
        verification[k] += s.merged.verify[k];
      for (const v of s.slo)
        if (!v.ok)
          sloBreaches.push({ scenario: sr.scenario.name, transport: s.transport, slo: v.slo.source, actual: v.actual });
    }
  }
  const merged: BenchResult = {
    ...first,
    finishedAt: results[results.length - 1].finishedAt,
    durationMs: results.reduce((a, r) => a + r.durationMs, 0),
    repeats: Math.max(...scenarios.flatMap((s) => s.summaries.map((x) => x.rounds)), 0),
    scenarios,
    sloBreaches,
    verification,
    generatorWarnings: [...new Set(results.flatMap((r) => r.generatorWarnings))],
    processes: results.flatMap((r) => r.processes),
    skipped: results.flatMap((r) => r.skipped),
  };
  merged.exitCode =
    verification.failedStreams + verification.duplicated + verification.outOfOrder + verification.mismatched > 0
      ? ExitCode.VerificationFailed
      : sloBreaches.length > 0
        ? ExitCode.SloBreached
        : ExitCode.Ok;
  merged.recommendation = recommend(merged);
  return merged;
}
