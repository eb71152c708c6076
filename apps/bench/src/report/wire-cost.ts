import { fmt, fmtSpread } from "../format.js";
import type { FigureName, ScenarioResult, Spread, TransportSummary } from "../result.js";

/** What a transport added in one scenario, per request and per token (the report's opening section). */
export interface WireCostRow {
  transport: string;
  /** Successful streams, and how many of them carried the server's own durations (undefined: not recorded). */
  ok: number;
  reported: number | undefined;
  /** ms, median over rounds with the range. */
  overheadP50: Spread;
  overheadP99: Spread;
  ttftOverheadP50: Spread;
  ttftOverheadP99: Spread;
  tokenOverheadP50: Spread;
  /** µs; NaN when the server could not be read. */
  serverCpuPerRequestUs: Spread;
  serverCpuPerTokenUs: Spread;
  /** False for a foreign server the bench cannot read. */
  serverMeasured: boolean;
  /** Generated tokens per content chunk (1 unless the server batches tokens into chunks). */
  tokensPerChunk: number;
}

const NONE: Spread = { median: Number.NaN, min: Number.NaN, max: Number.NaN, values: [] };

/** A summary's figure, or an empty spread when the result was recorded before the figure existed. */
export function figure(s: TransportSummary, f: FigureName): Spread {
  return s.figures[f] ?? NONE;
}

/** One row per transport of a scenario. */
export function wireCostRows(sr: ScenarioResult): WireCostRow[] {
  return sr.summaries.map((s) => {
    const windows = sr.windows.filter((w) => w.transport === s.transport);
    const m = s.merged;
    return {
      transport: s.transport,
      ok: m.ok,
      reported: m.overhead?.reported,
      overheadP50: figure(s, "overheadP50"),
      overheadP99: figure(s, "overheadP99"),
      ttftOverheadP50: figure(s, "ttftOverheadP50"),
      ttftOverheadP99: figure(s, "ttftOverheadP99"),
      tokenOverheadP50: figure(s, "tokenOverheadP50"),
      serverCpuPerRequestUs: figure(s, "serverCpuPerRequestUs"),
      serverCpuPerTokenUs: figure(s, "serverCpuPerTokenUs"),
      serverMeasured: windows.every((w) => w.cost.serverMeasured !== false),
      tokensPerChunk: m.chunks > 0 ? m.tokens / m.chunks : Number.NaN,
    };
  });
}

/** The text a cell shows where the server could not be read. */
export const FOREIGN_SERVER = "server cost not measured (foreign server)";
/** The text a cell shows where the wire carries no server durations. */
export const NOT_REPORTED = "not reported by this wire";

const us = (s: Spread): Spread => ({
  median: s.median * 1000,
  min: s.min * 1000,
  max: s.max * 1000,
  values: s.values.map((v) => v * 1000),
});

/** An overhead cell in µs: median (range), or why there is none. */
export function overheadCell(row: WireCostRow, s: Spread): string {
  if (row.ok === 0 || row.reported === undefined) return "–";
  if (row.reported === 0) return NOT_REPORTED;
  return fmtSpread(us(s), 0);
}

/** A server-cost cell in µs, or why there is none. */
export function serverCell(row: WireCostRow, s: Spread, digits = 0): string {
  if (!row.serverMeasured) return FOREIGN_SERVER;
  return Number.isFinite(s.median) ? fmtSpread(s, digits) : "–";
}

/** The Markdown table of {@link wireCostRows}. */
export function wireCostMarkdown(sr: ScenarioResult): string[] {
  const L: string[] = [];
  L.push(
    "| transport | added per request p50 µs | p99 µs | before the first token p50 µs | p99 µs | per later token p50 µs | server CPU µs/req | server CPU µs/token | tokens/chunk |",
  );
  L.push("|---|--:|--:|--:|--:|--:|--:|--:|--:|");
  for (const r of wireCostRows(sr)) {
    L.push(
      `| ${r.transport} | ${overheadCell(r, r.overheadP50)} | ${overheadCell(r, r.overheadP99)} | ${overheadCell(r, r.ttftOverheadP50)} | ${overheadCell(r, r.ttftOverheadP99)} | ${overheadCell(r, r.tokenOverheadP50)} | ${serverCell(r, r.serverCpuPerRequestUs)} | ${serverCell(r, r.serverCpuPerTokenUs, 1)} | ${fmt(r.tokensPerChunk, 2)} |`,
    );
  }
  return L;
}

/** How the section explains its figures (one paragraph, the same in Markdown and HTML). */
export const WIRE_COST_EXPLAINED =
  "Added per request = the client's end-to-end time from the actual send − the server's own total_duration; before the first token = the client's time to first token − (load_duration + prompt_eval_duration); per later token = the difference of the two spread over the remaining tokens. The server's durations come from each reply's final chunk (Ollama's JSON, the gRPC and MCP metrics), so the figure means the same on the synthetic engine and on a real Ollama. Server CPU is the server process's CPU over the window divided by requests and by tokens (eval_count).";
