/** Plain-text tables for the terminal. */
import { ENCODINGS } from "./cases.js";
import type { CaseResult, McpVsProtobuf, ProtobufVsJson, SizeRow } from "./report.js";
import { fmtNs } from "./suite.js";

/** Renders rows as an aligned table (first column left-aligned, the rest right-aligned). */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

const num = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** The tinybench table: one row per timed task. */
export function timingTable(results: readonly CaseResult[]): string {
  const rows: string[][] = [];
  for (const r of results) {
    for (const [op, t] of [
      ["encode", r.encode],
      ["decode", r.decode],
    ] as const) {
      if (!t) continue;
      rows.push([
        `${r.name} ${op}`,
        num(t.nsPerOp),
        num(t.p50Ns),
        num(t.opsPerSec),
        `±${t.rmePercent.toFixed(2)}%`,
        num(r.bytes),
      ]);
    }
  }
  return table(["case", "ns/op", "median", "ops/s", "rme", "bytes"], rows);
}

/** Bytes per payload class (rows) and encoding (columns), with the percentage of Ollama JSON's size. */
export function sizeMatrix(sizes: readonly SizeRow[]): string {
  const payloads = [...new Set(sizes.map((s) => s.payload))];
  const encodings = ENCODINGS.filter((e) => sizes.some((s) => s.encoding === e));
  const rows = payloads.map((p) => [
    p,
    ...encodings.map((e) => {
      const s = sizes.find((x) => x.payload === p && x.encoding === e);
      return s ? `${num(s.bytes)} (${num(s.vsOllamaJson * 100)}%)` : "-";
    }),
  ]);
  return table(["bytes (% of ollama-json)", ...encodings], rows);
}

/** Protobuf against Ollama JSON. */
export function protobufVsJsonTable(rows: readonly ProtobufVsJson[]): string {
  return table(
    [
      "payload",
      "protobuf B",
      "json B",
      "pb smaller by",
      "in 60-70%?",
      "pb enc+dec (p50)",
      "json enc+dec (p50)",
      "pb speedup",
    ],
    rows.map((r) => [
      r.payload,
      num(r.protobufBytes),
      num(r.jsonBytes),
      `${r.sizeSavingPercent.toFixed(1)}%`,
      r.withinClaimed60to70 ? "yes" : "no",
      fmtNs(r.protobufNs),
      fmtNs(r.jsonNs),
      r.speedup === null ? "-" : `${r.speedup.toFixed(2)}x`,
    ]),
  );
}

/** MCP full frame against bare Protobuf. */
export function mcpTable(rows: readonly McpVsProtobuf[]): string {
  return table(
    ["payload", "mcp enc+dec (p50)", "protobuf enc+dec (p50)", "ratio", "<= 1.15x?", "frame bytes", "parts ratio"],
    rows.map((r) => [
      r.payload,
      fmtNs(r.mcpNs),
      fmtNs(r.protobufNs),
      `${r.ratio.toFixed(3)}x`,
      r.withinTarget ? "yes" : "NO",
      `+${r.overheadBytes}`,
      r.partsRatio === null ? "-" : `${r.partsRatio.toFixed(3)}x`,
    ]),
  );
}

/** One sentence per class on the article's "Protobuf is 60–70% smaller than JSON". */
export function claimVerdict(rows: readonly ProtobufVsJson[]): string {
  return rows
    .map((r) => {
      const verdict = r.withinClaimed60to70
        ? "within the claimed 60-70%"
        : r.sizeSavingPercent > 70
          ? "more than claimed"
          : "less than claimed";
      return `  ${r.payload}: Protobuf is ${r.sizeSavingPercent.toFixed(1)}% smaller than Ollama JSON (${verdict})`;
    })
    .join("\n");
}

/** The MCP path by layer: what each layer adds on top of bare Protobuf. */
export function mcpLayerTable(rows: readonly McpVsProtobuf[]): string {
  const out: string[][] = [];
  for (const r of rows) {
    if (r.layers.length === 0) continue;
    const sum = r.layers.reduce((n, l) => n + l.ns, 0);
    for (const l of r.layers) out.push([r.payload, l.layer, fmtNs(l.ns), `${((l.ns / r.mcpNs) * 100).toFixed(0)}%`]);
    if (r.reflectiveWrapNs !== null) {
      out.push([r.payload, "(mcp.wrap-reflective, not in sum)", fmtNs(r.reflectiveWrapNs), ""]);
    }
    out.push([
      r.payload,
      "sum of layers / measured mcp",
      `${fmtNs(sum)} / ${fmtNs(r.mcpNs)}`,
      `${((sum / r.mcpNs) * 100).toFixed(0)}%`,
    ]);
  }
  return table(["payload", "layer", "enc+dec (p50)", "of mcp"], out);
}
