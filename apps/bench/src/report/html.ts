import { fmt, fmtBytes, fmtSpread } from "../format.js";
import { decodeLatencyHistogram } from "../histogram.js";
import type { BenchResult } from "../result.js";
import { POOL_COLUMNS, POOLS_EXPLAINED, poolRows } from "./pools.js";
import { SCHEDULE_LAG_COLUMNS, SCHEDULE_LAG_EXPLAINED, scheduleLagRows } from "./schedule-lag.js";
import { type SerializationCases, serializationSplit } from "./serialization.js";
import { SPREAD_EXPLAINED, spreadCells, spreadHeader, spreadRows } from "./upstream-spread.js";
import { targetLines, verificationLines } from "./verification-text.js";
import { VS_DIRECT_EXPLAINED, VS_DIRECT_HEADER, vsDirectCells, vsDirectRows } from "./vs-direct.js";
import { overheadCell, serverCell, WIRE_COST_EXPLAINED, wireCostRows } from "./wire-cost.js";

/** The data the page's script plots. */
export interface PlotModel {
  curves: Array<{
    id: string;
    title: string;
    /** The y axis unit (default ms). */
    unit?: string;
    series: Array<{ name: string; points: Array<[number, number]> }>;
  }>;
  sweep: Array<{ name: string; points: Array<[number, number]> }>;
  cost: Array<{ id: string; title: string; unit: string; bars: Array<{ name: string; value: number }> }>;
  /** Serialization share of the measured CPU; `exceeds` when the micro-benchmark estimate is above it (capped). */
  split: Array<{ name: string; serializationUs: number; restUs: number; exceeds: boolean }>;
}

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** Builds the plot model from a result (percentile curves from the merged HDR histograms). */
export function plotModel(r: BenchResult, ser?: SerializationCases): PlotModel {
  const curves: PlotModel["curves"] = [];
  const cost: PlotModel["cost"] = [];
  for (const [i, sr] of r.scenarios.entries()) {
    for (const metric of ["ttft", "e2e"] as const) {
      curves.push({
        id: `curve-${i}-${metric}`,
        title: `${sr.scenario.name}: ${metric === "ttft" ? "time to first token" : "end-to-end latency"} by percentile`,
        series: sr.summaries.map((s) => ({
          name: s.transport,
          points: decodeLatencyHistogram(s.merged.histograms[metric]).curve(),
        })),
      });
    }
    // The per-request overhead distribution of every wire whose replies carried the server's durations, in µs.
    const withOverhead = sr.summaries.filter(
      (s) => s.merged.histograms.overhead && (s.merged.overhead?.reported ?? 0) > 0,
    );
    if (withOverhead.length > 0) {
      curves.push({
        id: `curve-${i}-overhead`,
        title: `${sr.scenario.name}: what the wire adds per request (client E2E − server total_duration) by percentile`,
        unit: "µs",
        series: withOverhead.map((s) => ({
          name: s.transport,
          points: decodeLatencyHistogram(s.merged.histograms.overhead)
            .curve()
            .map(([p, ms]) => [p, ms * 1000] as [number, number]),
        })),
      });
    }
    const bars = (f: "serverCpuPerRequestUs" | "serverCpuPerTokenUs" | "bytesPerRequest" | "bytesPerToken") =>
      sr.summaries
        .map((s) => ({ name: s.transport, value: s.figures[f].median }))
        .filter((b) => Number.isFinite(b.value));
    cost.push(
      {
        id: `cost-${i}-cpu`,
        title: `${sr.scenario.name}: server CPU per request`,
        unit: "µs",
        bars: bars("serverCpuPerRequestUs"),
      },
      {
        id: `cost-${i}-cput`,
        title: `${sr.scenario.name}: server CPU per token`,
        unit: "µs",
        bars: bars("serverCpuPerTokenUs"),
      },
      {
        id: `cost-${i}-bytes`,
        title: `${sr.scenario.name}: bytes on the wire per request`,
        unit: "B",
        bars: bars("bytesPerRequest"),
      },
      {
        id: `cost-${i}-bytest`,
        title: `${sr.scenario.name}: bytes on the wire per token`,
        unit: "B",
        bars: bars("bytesPerToken"),
      },
    );
  }
  const sweep = (r.sweep?.results ?? []).map((s) => ({
    name: s.transport,
    points: s.points.map((p) => [p.achievedRps, p.ttftP99] as [number, number]),
  }));
  const split = ser
    ? serializationSplit(r, ser, r.scenarios.find((s) => s.scenario.name === "protocol-overhead")?.scenario.name).map(
        (x) => ({
          name: x.transport,
          serializationUs: Math.min(x.serializationUs, x.totalCpuUs),
          restUs: x.restUs,
          exceeds: x.serializationUs > x.totalCpuUs,
        }),
      )
    : [];
  return { curves, sweep, cost, split };
}

// The page's drawing code: plain DOM + SVG, no network, no libraries. Each chart marks itself drawn.
const SCRIPT = `
(function () {
  var NS = "http://www.w3.org/2000/svg";
  var COLORS = ["#1f77b4","#d62728","#2ca02c","#9467bd","#ff7f0e","#17becf","#8c564b","#e377c2","#7f7f7f","#bcbd22"];
  var data = JSON.parse(document.getElementById("plot-data").textContent);
  var drawn = 0;
  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function text(parent, x, y, s, anchor, size) {
    var t = el("text", { x: x, y: y, "text-anchor": anchor || "start", "font-size": size || 11, fill: "#333" }, parent);
    t.textContent = s;
    return t;
  }
  function fmt(v) { return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3); }
  function svgFor(id, w, h) {
    var host = document.getElementById(id);
    if (!host) return null;
    return el("svg", { width: w, height: h, viewBox: "0 0 " + w + " " + h, class: "plot", role: "img" }, host);
  }
  function legend(svg, names, x, y) {
    names.forEach(function (n, i) {
      el("rect", { x: x, y: y + i * 15, width: 10, height: 10, fill: COLORS[i % COLORS.length] }, svg);
      text(svg, x + 14, y + i * 15 + 9, n);
    });
  }
  function lineChart(id, series, o) {
    var W = 640, H = 300, L = 60, R = 130, T = 20, B = 40;
    var svg = svgFor(id, W, H);
    if (!svg) return;
    var xs = [], ys = [];
    series.forEach(function (s) { s.points.forEach(function (p) { xs.push(o.x(p[0])); if (p[1] > 0) ys.push(p[1]); }); });
    if (!xs.length || !ys.length) { text(svg, W / 2, H / 2, "no data", "middle"); return; }
    var x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs);
    if (o.xMin !== undefined) x0 = Math.min(x0, o.x(o.xMin));
    if (x1 === x0) x1 = x0 + 1;
    var ly0 = Math.log10(Math.min.apply(null, ys)), ly1 = Math.log10(Math.max.apply(null, ys));
    ly0 = Math.floor(ly0 * 2) / 2; ly1 = Math.ceil(ly1 * 2) / 2; if (ly1 === ly0) ly1 = ly0 + 0.5;
    function px(v) { return L + (o.x(v) - x0) / (x1 - x0) * (W - L - R); }
    function py(v) { return T + (1 - (Math.log10(Math.max(v, Math.pow(10, ly0))) - ly0) / (ly1 - ly0)) * (H - T - B); }
    el("rect", { x: L, y: T, width: W - L - R, height: H - T - B, fill: "none", stroke: "#999" }, svg);
    for (var e = Math.ceil(ly0); e <= ly1; e++) {
      var v = Math.pow(10, e), y = py(v);
      el("line", { x1: L, x2: W - R, y1: y, y2: y, stroke: "#eee" }, svg);
      text(svg, L - 4, y + 4, fmt(v), "end");
    }
    o.ticks.forEach(function (t) { var x = px(t[0]); el("line", { x1: x, x2: x, y1: T, y2: H - B, stroke: "#eee" }, svg); text(svg, x, H - B + 14, t[1], "middle"); });
    text(svg, (L + W - R) / 2, H - 6, o.xLabel, "middle");
    text(svg, 12, T + (H - T - B) / 2, o.yLabel, "middle").setAttribute("transform", "rotate(-90 12 " + (T + (H - T - B) / 2) + ")");
    series.forEach(function (s, i) {
      var d = s.points.filter(function (p) { return p[1] > 0; }).map(function (p, j) { return (j ? "L" : "M") + px(p[0]).toFixed(1) + " " + py(p[1]).toFixed(1); }).join(" ");
      if (d) el("path", { d: d, fill: "none", stroke: COLORS[i % COLORS.length], "stroke-width": 2, class: "series", "data-name": s.name }, svg);
      s.points.forEach(function (p) { if (p[1] > 0) el("circle", { cx: px(p[0]), cy: py(p[1]), r: 2.5, fill: COLORS[i % COLORS.length] }, svg); });
    });
    legend(svg, series.map(function (s) { return s.name; }), W - R + 10, T);
    svg.setAttribute("data-drawn", "1");
    drawn++;
  }
  function nines(p) { return p >= 100 ? 5 : -Math.log10(1 - p / 100); }
  function barChart(id, bars, unit, stacked) {
    var W = 640, rowH = 22, L = 110, R = 90, T = 10;
    var H = T + bars.length * rowH + 30;
    var svg = svgFor(id, W, H);
    if (!svg) return;
    var max = 0;
    bars.forEach(function (b) { var v = stacked ? b.parts.reduce(function (a, p) { return a + p; }, 0) : b.value; if (v > max) max = v; });
    if (!bars.length || !(max > 0)) { text(svg, W / 2, H / 2, "no data", "middle"); return; }
    bars.forEach(function (b, i) {
      var y = T + i * rowH;
      text(svg, L - 6, y + 14, b.name, "end");
      var parts = stacked ? b.parts : [b.value], x = L;
      parts.forEach(function (v, k) {
        var w = Math.max(1, v / max * (W - L - R));
        el("rect", { x: x, y: y + 3, width: w, height: rowH - 6, fill: COLORS[(stacked ? k : i) % COLORS.length], class: "bar" }, svg);
        x += w;
      });
      text(svg, x + 4, y + 14, fmt(stacked ? parts.reduce(function (a, p) { return a + p; }, 0) : b.value) + " " + unit + (b.note || ""));
    });
    if (stacked) legend(svg, ["serialization (micro-benchmarks)", "network, framing, runtime"], L, T + bars.length * rowH + 6);
    svg.setAttribute("data-drawn", "1");
    drawn++;
  }
  var ticks = [[0,"0"],[50,"50"],[90,"90"],[99,"99"],[99.9,"99.9"],[99.99,"99.99"],[100,"max"]].map(function (t) { return [t[0], t[1]]; });
  data.curves.forEach(function (c) {
    lineChart(c.id, c.series, { x: nines, ticks: ticks, xLabel: "percentile", yLabel: (c.unit || "ms") + " (log)" });
  });
  if (data.sweep.length) {
    var xsTicks = [];
    var maxX = 0;
    data.sweep.forEach(function (s) { s.points.forEach(function (p) { if (p[0] > maxX) maxX = p[0]; }); });
    for (var k = 0; k <= 4; k++) xsTicks.push([maxX * k / 4, (maxX * k / 4).toFixed(0)]);
    lineChart("sweep", data.sweep, { x: function (v) { return v; }, xMin: 0, ticks: xsTicks, xLabel: "achieved requests/s", yLabel: "TTFT p99 ms (log)" });
  }
  data.cost.forEach(function (c) { barChart(c.id, c.bars, c.unit, false); });
  if (data.split.length) barChart("split", data.split.map(function (s) { return { name: s.name, parts: [s.serializationUs, s.restUs], note: s.exceeds ? " (estimate >= measured: capped)" : "" }; }), "µs", true);
  document.body.setAttribute("data-plots-drawn", String(drawn));
})();
`;

/** Renders a self-contained HTML report (inline CSS, data and SVG-drawing script; no network). */
export function renderHtml(r: BenchResult, ser?: SerializationCases): string {
  const model = plotModel(r, ser);
  const json = JSON.stringify(model).replace(/</g, "\\u003c");
  const H: string[] = [];
  H.push(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>modelwire bench</title>`);
  H.push(
    `<style>body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 16px}table{border-collapse:collapse;margin:8px 0 16px;font-size:12px}th,td{border:1px solid #ddd;padding:3px 6px;text-align:right}th:first-child,td:first-child{text-align:left}.pools td:last-child{text-align:left}th{background:#f5f5f5}.fig{display:inline-block;vertical-align:top;margin:6px 10px 16px 0}.fig h4{margin:4px 0;font-size:13px}.warn{background:#fff4e5;border-left:4px solid #f0a020;padding:6px 10px}code{background:#f3f3f3;padding:0 3px}</style></head><body>`,
  );
  H.push(`<h1>modelwire bench</h1>`);
  H.push(
    `<p>Run ${esc(r.startedAt)} · ${(r.durationMs / 1000).toFixed(0)} s · ${r.machine.cpus} × ${esc(r.machine.cpuModel)} · Node ${esc(r.machine.node)} · ${r.repeats} round(s), transports interleaved. Figures: median (range over rounds). Latencies in ms, timed from the intended send time.</p>`,
  );
  const tl = targetLines(r);
  if (tl.length > 0)
    H.push(`<p>Servers the bench did not start:</p><ul>${tl.map((t) => `<li>${esc(t)}</li>`).join("")}</ul>`);
  for (const s of r.skipped) H.push(`<p class="warn">Skipped ${esc(s.transport)}: ${esc(s.reason)}</p>`);
  // The answer first: the recommendation and what each wire adds; the tables and plots follow.
  H.push(`<h2>Recommendation</h2><ul>`);
  for (const line of r.recommendation) {
    const t = esc(line.replace(/^- /, "")).replace(/\*\*(.+?)\*\*/g, "<b>$1</b>");
    H.push(`<li>${t}</li>`);
  }
  H.push(`</ul>`);
  H.push(`<h2>What the wire and the gateway add, per request and per token</h2><p>${esc(WIRE_COST_EXPLAINED)}</p>`);
  for (const [i, sr] of r.scenarios.entries()) {
    H.push(`<h3>${esc(sr.scenario.name)}</h3>`);
    H.push(
      `<table><tr><th>transport</th><th>added per request p50 µs</th><th>p99 µs</th><th>before the first token p50 µs</th><th>p99 µs</th><th>per later token p50 µs</th><th>server CPU µs/req</th><th>µs/token</th><th>tokens/chunk</th></tr>`,
    );
    for (const x of wireCostRows(sr))
      H.push(
        `<tr><td>${esc(x.transport)}</td><td>${esc(overheadCell(x, x.overheadP50))}</td><td>${esc(overheadCell(x, x.overheadP99))}</td><td>${esc(overheadCell(x, x.ttftOverheadP50))}</td><td>${esc(overheadCell(x, x.ttftOverheadP99))}</td><td>${esc(overheadCell(x, x.tokenOverheadP50))}</td><td>${esc(serverCell(x, x.serverCpuPerRequestUs))}</td><td>${esc(serverCell(x, x.serverCpuPerTokenUs, 1))}</td><td>${fmt(x.tokensPerChunk, 2)}</td></tr>`,
      );
    H.push(`</table>`);
    const vd = vsDirectRows(sr);
    if (vd.length > 0) {
      H.push(
        `<p>${esc(VS_DIRECT_EXPLAINED)}</p><table><tr>${VS_DIRECT_HEADER.map((h) => `<th>${esc(h)}</th>`).join("")}</tr>`,
      );
      for (const x of vd)
        H.push(
          `<tr>${vsDirectCells(x)
            .map((c) => `<td>${esc(c)}</td>`)
            .join("")}</tr>`,
        );
      H.push(`</table>`);
    }
    const spread = spreadRows(sr);
    if (spread.length > 0) {
      H.push(
        `<p>${esc(SPREAD_EXPLAINED)}</p><table><tr>${spreadHeader(spread)
          .map((h) => `<th>${esc(h)}</th>`)
          .join("")}</tr>`,
      );
      for (const x of spread)
        H.push(
          `<tr>${spreadCells(x)
            .map((c) => `<td>${esc(c)}</td>`)
            .join("")}</tr>`,
        );
      H.push(`</table>`);
    }
    const c = model.curves.find((x) => x.id === `curve-${i}-overhead`);
    if (c) H.push(`<div class="fig"><h4>${esc(c.title)}</h4><div id="${c.id}" class="chart"></div></div>`);
  }
  for (const [i, sr] of r.scenarios.entries()) {
    H.push(`<h2>${esc(sr.scenario.name)}</h2><p>${esc(sr.scenario.description)}</p>`);
    H.push(
      `<table><tr><th>transport</th><th>req/s</th><th>tokens/s</th><th>TTFT p50</th><th>TTFT p99</th><th>E2E p99</th><th>TPOT p50</th><th>stall p99</th><th>errors</th><th>server CPU µs/req</th><th>bytes/req</th></tr>`,
    );
    const rows = new Map(wireCostRows(sr).map((x) => [x.transport, x]));
    for (const s of sr.summaries) {
      const f = s.figures;
      const row = rows.get(s.transport);
      H.push(
        `<tr><td>${esc(s.transport)}</td><td>${fmtSpread(f.rps, 0)}</td><td>${fmtSpread(f.tokensPerSec, 0)}</td><td>${fmtSpread(f.ttftP50)}</td><td>${fmtSpread(f.ttftP99)}</td><td>${fmtSpread(f.e2eP99)}</td><td>${fmt(f.tpotP50.median)}</td><td>${fmt(f.stallP99.median)}</td><td>${s.merged.requests - s.merged.ok}</td><td>${row ? esc(serverCell(row, f.serverCpuPerRequestUs)) : fmtSpread(f.serverCpuPerRequestUs, 0)}</td><td>${fmt(f.bytesPerRequest.median, 0)}</td></tr>`,
      );
    }
    H.push(`</table>`);
    const lag = scheduleLagRows(sr);
    if (lag.length > 0)
      H.push(
        `<h3>Schedule lag</h3><p>${esc(SCHEDULE_LAG_EXPLAINED)}</p><table><tr>${SCHEDULE_LAG_COLUMNS.map((c) => `<th>${esc(c)}</th>`).join("")}</tr>`,
        ...lag.map((row) => `<tr>${row.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`),
        `</table>`,
      );
    const pools = poolRows(sr);
    if (pools.length > 0)
      H.push(
        `<h3>Connection pools</h3><p>${esc(POOLS_EXPLAINED)}</p><table class="pools"><tr>${POOL_COLUMNS.map((c) => `<th>${esc(c)}</th>`).join("")}</tr>`,
        ...pools.map((row) => `<tr>${row.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`),
        `</table>`,
      );
    for (const m of ["ttft", "e2e"]) {
      const c = model.curves.find((x) => x.id === `curve-${i}-${m}`)!;
      H.push(`<div class="fig"><h4>${esc(c.title)}</h4><div id="${c.id}" class="chart"></div></div>`);
    }
    for (const c of model.cost.filter((x) => x.id.startsWith(`cost-${i}-`))) {
      H.push(`<div class="fig"><h4>${esc(c.title)}</h4><div id="${c.id}" class="chart"></div></div>`);
    }
  }
  if (model.sweep.length > 0 && r.sweep) {
    H.push(
      `<h2>Throughput against latency (sweep)</h2><p>${esc(r.sweep.scenario)} workload, open loop at rising rates until ${esc(r.sweep.slos.join(", "))} breaks.</p>`,
    );
    H.push(`<table><tr><th>transport</th><th>knee req/s</th><th>stopped because</th></tr>`);
    for (const s of r.sweep.results)
      H.push(
        `<tr><td>${esc(s.transport)}</td><td>${s.kneeRps ?? "none"}</td><td style="text-align:left">${esc(s.stoppedBecause)}</td></tr>`,
      );
    H.push(`</table><div class="fig"><div id="sweep" class="chart"></div></div>`);
  }
  if (model.split.length > 0) {
    H.push(
      `<h2>Serialization against the network</h2><p>Encode + decode time from the serialization micro-benchmarks (reports/serialization.json) against the CPU per request measured here (server + generator); where the suites' generic codec path costs more than the whole request measured here, the bar is capped and marked.</p><div class="fig"><div id="split" class="chart"></div></div>`,
    );
  }
  if (r.processes.length > 0) {
    H.push(`<h2>Server processes</h2><table><tr><th>process</th><th>start-up ms</th><th>peak RSS</th></tr>`);
    for (const p of r.processes)
      H.push(`<tr><td>${esc(p.name)}</td><td>${fmt(p.startupMs)}</td><td>${fmtBytes(p.maxRssBytes)}</td></tr>`);
    H.push(`</table>`);
  }
  H.push(`<h2>Verification</h2>`);
  for (const line of verificationLines(r)) H.push(`<p>${esc(line)}</p>`);
  for (const w of r.generatorWarnings) H.push(`<p class="warn">${esc(w)}</p>`);
  H.push(`<p>Exit code ${r.exitCode}.</p>`);
  H.push(`<script type="application/json" id="plot-data">${json}</script>`);
  H.push(`<script>${SCRIPT}</script></body></html>`);
  return H.join("\n");
}

/** How many plots the page should draw for a result (what the browser test expects). */
export function expectedPlotCount(r: BenchResult, ser?: SerializationCases): number {
  const m = plotModel(r, ser);
  return m.curves.length + m.cost.length + (m.sweep.length ? 1 : 0) + (m.split.length ? 1 : 0);
}
