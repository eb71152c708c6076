import { readFile } from "node:fs/promises";
import { mergeAgentResults, type NamedResult } from "./agents/agent-merge.js";
import { recommend } from "./recommend.js";
import { type BenchResult, RESULT_SCHEMA, type ScenarioResult } from "./result.js";
import { parseSlos } from "./slo.js";
import { summarizeScenario } from "./summarize.js";
import { runVerdict } from "./verdict.js";

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
 * then medians, spreads, merged histograms, SLO verdicts and the recommendation are recomputed, with the same
 * summaries and verdict (exit code rule included) as a fresh run.
 */
export function mergeResults(results: readonly BenchResult[]): BenchResult {
  if (results.length === 0) throw new Error("nothing to merge");
  const first = results[0];
  const slos = parseSlos(first.slos.join(","));
  const byName = new Map<string, Pick<ScenarioResult, "scenario" | "windows">>();
  for (const r of results) {
    for (const sr of r.scenarios) {
      const cur = byName.get(sr.scenario.name);
      if (!cur) {
        byName.set(sr.scenario.name, { scenario: sr.scenario, windows: sr.windows.map((w) => ({ ...w })) });
        continue;
      }
      const offset = Math.max(0, ...cur.windows.map((w) => w.round));
      for (const w of sr.windows) cur.windows.push({ ...w, round: w.round + offset });
    }
  }
  const scenarios = [...byName.values()].map((sr) => summarizeScenario(sr.scenario, sr.windows, slos));
  const merged: BenchResult = {
    ...first,
    finishedAt: results[results.length - 1].finishedAt,
    durationMs: results.reduce((a, r) => a + r.durationMs, 0),
    repeats: Math.max(...scenarios.flatMap((s) => s.summaries.map((x) => x.rounds)), 0),
    scenarios,
    ...runVerdict(scenarios),
    processes: results.flatMap((r) => r.processes),
    skipped: results.flatMap((r) => r.skipped),
  };
  merged.recommendation = recommend(merged);
  return merged;
}

/**
 * `--report-from`: agents' results (`--agents`) are merged as one run ({@link mergeAgentResults}: every agent once,
 * one run id and configuration); whole runs are pooled as extra rounds ({@link mergeResults}); one whole run is
 * re-rendered with a fresh recommendation.
 */
export function mergeReportFiles(files: readonly NamedResult[]): BenchResult {
  if (files.some((f) => f.result.agent)) return mergeAgentResults(files);
  if (files.length === 1) return { ...files[0].result, recommendation: recommend(files[0].result) };
  return mergeResults(files.map((f) => f.result));
}
