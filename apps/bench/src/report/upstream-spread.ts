/**
 * How a fleet gateway spread the calls over its upstreams (`--upstream A --upstream B …`): per window, the
 * difference of the gateway's `/control/stats` `fleet.upstreams[]` counters before and after it; in the report,
 * one row per wire through the gateway with the calls each upstream served over every round, and their share.
 *
 * @module
 */

import type { ScenarioResult, UpstreamShare } from "../result.js";
import type { ProcessStats } from "../server-process.js";

/**
 * Each upstream's calls in a window: `started` (attempts that got their first chunk: the calls it served) and
 * `requests` (attempts sent to it, also those moved elsewhere before their first chunk). Undefined when the server
 * is not a fleet gateway. A counter that went down (its stats window was reset) counts from zero.
 */
export function spreadBetween(before: ProcessStats, after: ProcessStats): UpstreamShare[] | undefined {
  const b = before.fleet?.upstreams;
  const a = after.fleet?.upstreams;
  if (!a || !b) return undefined;
  return a.map((u) => {
    const was = b.find((x) => x.url === u.url);
    const diff = (now: number, then: number | undefined) => (then !== undefined && now >= then ? now - then : now);
    return { url: u.url, calls: diff(u.started, was?.started), attempts: diff(u.requests, was?.requests) };
  });
}

/** One wire's spread over the rounds of a scenario. */
export interface SpreadRow {
  transport: string;
  /** Per upstream, in the gateway's order: calls served and attempts, summed over the rounds. */
  upstreams: UpstreamShare[];
}

/** One row per wire whose windows carry a spread (none when the gateway is not in front of a fleet). */
export function spreadRows(sr: ScenarioResult): SpreadRow[] {
  const rows = new Map<string, Map<string, UpstreamShare>>();
  for (const w of sr.windows) {
    if (!w.upstreams) continue;
    const row = rows.get(w.transport) ?? new Map<string, UpstreamShare>();
    rows.set(w.transport, row);
    for (const u of w.upstreams) {
      const sum = row.get(u.url) ?? { url: u.url, calls: 0, attempts: 0 };
      sum.calls += u.calls;
      sum.attempts += u.attempts;
      row.set(u.url, sum);
    }
  }
  return [...rows].map(([transport, m]) => ({ transport, upstreams: [...m.values()] }));
}

/** The header: the wire, then one column per upstream. */
export function spreadHeader(rows: readonly SpreadRow[]): string[] {
  return ["transport", ...(rows[0]?.upstreams ?? []).map((u, i) => `upstream ${i + 1} (${u.url})`), "moved"];
}

/**
 * A row's cells: per upstream `calls (share %)`, then the attempts that were moved to another upstream before
 * their first chunk (attempts minus calls served; calls that failed count there too).
 */
export function spreadCells(r: SpreadRow): string[] {
  const total = r.upstreams.reduce((n, u) => n + u.calls, 0);
  const moved = r.upstreams.reduce((n, u) => n + Math.max(0, u.attempts - u.calls), 0);
  return [
    r.transport,
    ...r.upstreams.map((u) => `${u.calls} (${total > 0 ? ((100 * u.calls) / total).toFixed(1) : "–"} %)`),
    String(moved),
  ];
}

/** How the table reads (the same in Markdown and HTML). */
export const SPREAD_EXPLAINED =
  "Calls each upstream served through the gateway (attempts that streamed, from the gateway's /control/stats, summed over the rounds) and their share; moved = attempts that did not get a first chunk there (moved to another upstream, or failed).";

/** The Markdown lines of the table, or none without a fleet. */
export function spreadMarkdown(sr: ScenarioResult): string[] {
  const rows = spreadRows(sr);
  if (rows.length === 0) return [];
  const h = spreadHeader(rows);
  return [
    SPREAD_EXPLAINED,
    "",
    `| ${h.join(" | ")} |`,
    `|---|${h
      .slice(1)
      .map(() => "--:")
      .join("|")}|`,
    ...rows.map((r) => `| ${spreadCells(r).join(" | ")} |`),
    "",
  ];
}
