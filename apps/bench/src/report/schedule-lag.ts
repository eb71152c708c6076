/**
 * The schedule-lag section of the reports, for open loops and trace replays: how late each request went out
 * against its intended time (latencies are still timed from the intended time, so lag is inside them). One row
 * model, rendered by the Markdown and HTML reports.
 *
 * @module
 */
import { fmt, fmtSpread } from "../format.js";
import type { ScenarioResult } from "../result.js";
import { spreadOf } from "../stats-math.js";

/** The section's column heads, in order. */
export const SCHEDULE_LAG_COLUMNS = [
  "transport",
  "sent",
  "lag p50 ms",
  "lag p99 ms",
  "lag p99.9 ms",
  "lag max ms",
] as const;

/** What the section's figures mean. */
export const SCHEDULE_LAG_EXPLAINED =
  "Schedule lag: when each request actually went out minus when the schedule (the rate, or the trace's offset at its speed) meant it to. Latencies are timed from the intended time, so a late send is counted in them instead of hidden. p99 is the median over rounds with the range in brackets; the other columns are over every round's requests together. A lag of a few ms means the generator or the in-flight cap held sends back.";

/** One row per transport; none when the scenario is a closed loop (it has no schedule). */
export function scheduleLagRows(sr: ScenarioResult): string[][] {
  if (sr.scenario.load.mode !== "open") return [];
  return sr.summaries.map((s) => {
    const lag = s.merged.summaries.sendLag;
    const p99 = spreadOf(sr.windows.filter((w) => w.transport === s.transport).map((w) => w.run.summaries.sendLag.p99));
    return [s.transport, String(lag.count), fmt(lag.p50, 3), fmtSpread(p99, 3), fmt(lag.p999, 3), fmt(lag.max, 3)];
  });
}

/** The section's Markdown for one scenario (no lines for a closed loop). */
export function scheduleLagMarkdown(sr: ScenarioResult): string[] {
  const rows = scheduleLagRows(sr);
  if (rows.length === 0) return [];
  return [
    `### Schedule lag (${sr.scenario.name})`,
    "",
    SCHEDULE_LAG_EXPLAINED,
    "",
    `| ${SCHEDULE_LAG_COLUMNS.join(" | ")} |`,
    "|---|--:|--:|--:|--:|--:|",
    ...rows.map((r) => `| ${r.join(" | ")} |`),
    "",
  ];
}
