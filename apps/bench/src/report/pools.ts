/**
 * The connection-pool section of the reports: per transport and window, the client's pool as sampled during the
 * measured part (docs/bench.md, "Connection pools"). One row model, rendered by the Markdown and HTML reports.
 *
 * @module
 */
import { fmt } from "../format.js";
import type { GaugeFigures, PoolFigures } from "../pool-sampler.js";
import type { ScenarioResult } from "../result.js";

/** The section's column heads, in order. */
export const POOL_COLUMNS = [
  "transport",
  "round",
  "open peak (mean)",
  "active peak (mean)",
  "idle peak (mean)",
  "queued peak (mean)",
  "opened",
  "reconnects",
  "what it shows",
] as const;

/** What the section's figures mean, printed above its tables. */
export const POOLS_EXPLAINED =
  "The client's pool, sampled every 100 ms while each window ran: connections open, calls in flight on them (active), open connections with no call (idle) and calls waiting for a connection or stream slot (queued), as the peak with the mean over the samples in brackets; opened and reconnects are the connections the client opened during the window. Queued calls mean the pool was the limit; more connections opened than were open at the peak mean connections were not kept alive. HTTP/1.1 holds one connection per stream in flight, MCP multiplexes every stream over one connection (or a few), Connect and gRPC over one HTTP/2 session.";

const cell = (g: GaugeFigures) => `${fmt(g.peak, 0)} (${fmt(g.mean, 1)})`;

/** The plain-words reading of one window's pool. */
export function poolReading(p: PoolFigures): string {
  const out: string[] = [];
  if (p.queued.peak > 0)
    out.push(
      `calls waited for the pool in ${Math.round(p.queuedShare * 100)}% of samples (up to ${fmt(p.queued.peak, 0)}): the pool was the limit`,
    );
  if (p.opened !== undefined && p.opened > p.open.peak)
    out.push(`${p.opened} connections opened, ${fmt(p.open.peak, 0)} open at most: connections not kept`);
  if (p.reconnects) out.push(`${p.reconnects} reconnects`);
  if (out.length === 0)
    out.push(
      p.open.peak > 0 && p.active.peak > p.open.peak
        ? `${fmt(p.active.peak / p.open.peak, 0)} streams per connection at the peak, no waits`
        : "no waits",
    );
  return out.join("; ");
}

/** One row per transport and window (report order, then round); empty when no window carries pool figures. */
export function poolRows(sr: ScenarioResult): string[][] {
  const order = new Map(sr.summaries.map((s, i) => [s.transport, i]));
  return sr.windows
    .filter((w) => w.pool)
    .sort((a, b) => (order.get(a.transport) ?? 0) - (order.get(b.transport) ?? 0) || a.round - b.round)
    .map((w) => {
      const p = w.pool!;
      return [
        w.transport,
        String(w.round),
        cell(p.open),
        cell(p.active),
        cell(p.idle),
        cell(p.queued),
        p.opened === undefined ? "–" : String(p.opened),
        p.reconnects === undefined ? "–" : String(p.reconnects),
        poolReading(p),
      ];
    });
}

/** The section's Markdown for one scenario (no lines when it has no pool figures). */
export function poolsMarkdown(sr: ScenarioResult): string[] {
  const rows = poolRows(sr);
  if (rows.length === 0) return [];
  return [
    `### Connection pools (${sr.scenario.name})`,
    "",
    POOLS_EXPLAINED,
    "",
    `| ${POOL_COLUMNS.join(" | ")} |`,
    "|---|--:|--:|--:|--:|--:|--:|--:|---|",
    ...rows.map((r) => `| ${r.join(" | ")} |`),
    "",
  ];
}
