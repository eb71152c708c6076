import { agentsMarkdown } from "../agents/agent-report.js";
import { fmt, fmtBytes, fmtSpread } from "../format.js";
import type { BenchResult } from "../result.js";
import { poolsMarkdown } from "./pools.js";
import { scheduleLagMarkdown } from "./schedule-lag.js";
import { type SerializationCases, serializationSplit } from "./serialization.js";
import { spreadMarkdown } from "./upstream-spread.js";
import { targetLines, verificationLines } from "./verification-text.js";
import { VS_DIRECT_EXPLAINED, vsDirectMarkdown } from "./vs-direct.js";
import { serverCell, WIRE_COST_EXPLAINED, wireCostMarkdown, wireCostRows } from "./wire-cost.js";

function recommendationLines(r: BenchResult): string[] {
  const L: string[] = [];
  // Paragraph lines get blank lines around them so they do not fold into the list before them.
  for (const line of r.recommendation) {
    if (line.startsWith("- ")) L.push(line);
    else L.push("", line, "");
  }
  return L;
}

/** Renders the result as Markdown: one table per scenario, costs, sweep, verification, recommendation. */
export function renderMarkdown(r: BenchResult, ser?: SerializationCases): string {
  const L: string[] = [];
  L.push("# modelwire bench");
  L.push("");
  L.push(
    `Run ${r.startedAt}${r.run ? ` (id ${r.run.id}, configuration ${r.run.configHash})` : ""} · ${(r.durationMs / 1000).toFixed(0)} s · ${r.machine.cpus} × ${r.machine.cpuModel} · Node ${r.machine.node} · load average at the end ${r.machine.loadavg.map((x) => x.toFixed(2)).join(" / ")} · ${r.repeats} round(s), transports interleaved; figures are the median with the range over rounds in brackets. Latencies in ms, timed from the intended send time.`,
  );
  L.push("");
  const tl = targetLines(r);
  if (tl.length > 0) {
    L.push("Servers the bench did not start:");
    for (const t of tl) L.push(`- ${t}`);
    L.push("");
  }
  if (r.skipped.length > 0) {
    L.push("Skipped transports:");
    for (const s of r.skipped) L.push(`- ${s.transport}: ${s.reason}`);
    L.push("");
  }
  // The answer first: the recommendation, then what each wire adds; the tables and figures follow.
  L.push("## Recommendation");
  L.push("");
  L.push(...recommendationLines(r));
  L.push("");
  L.push(...agentsMarkdown(r));
  L.push("## What the wire and the gateway add, per request and per token");
  L.push("");
  L.push(WIRE_COST_EXPLAINED);
  L.push("");
  for (const sr of r.scenarios) {
    L.push(`### ${sr.scenario.name}`);
    L.push("");
    L.push(...wireCostMarkdown(sr));
    L.push("");
    const vd = vsDirectMarkdown(sr);
    if (vd.length > 0) L.push(VS_DIRECT_EXPLAINED, "", ...vd, "");
    L.push(...spreadMarkdown(sr));
  }
  for (const sr of r.scenarios) {
    const rows = new Map(wireCostRows(sr).map((x) => [x.transport, x]));
    L.push(`## ${sr.scenario.name}`);
    L.push("");
    L.push(
      `${sr.scenario.description}; ${(sr.scenario.durationMs / 1000).toFixed(1)} s measured after ${(sr.scenario.warmupMs / 1000).toFixed(1)} s warm-up per round.`,
    );
    L.push("");
    L.push(
      `| transport | req/s | tokens/s | TTFT p50 | TTFT p99 | E2E p50 | E2E p99 | TPOT p50 | stall p99 | errors |${r.slos.length ? " goodput |" : ""} server CPU µs/req | µs/token | generator CPU µs/req | bytes/req | bytes/token |`,
    );
    L.push(`|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|${r.slos.length ? "--:|" : ""}--:|--:|--:|--:|--:|`);
    for (const s of sr.summaries) {
      const f = s.figures;
      const row = rows.get(s.transport);
      const errs = s.merged.requests - s.merged.ok;
      L.push(
        `| ${s.transport} | ${fmtSpread(f.rps, 0)} | ${fmtSpread(f.tokensPerSec, 0)} | ${fmtSpread(f.ttftP50)} | ${fmtSpread(f.ttftP99)} | ${fmtSpread(f.e2eP50)} | ${fmtSpread(f.e2eP99)} | ${fmt(f.tpotP50.median)} | ${fmt(f.stallP99.median)} | ${
          errs === 0
            ? "0"
            : `${errs} (${Object.entries(s.merged.errors)
                .map(([k, v]) => `${k} ${v}`)
                .join(", ")})`
        } |${r.slos.length ? ` ${s.merged.requests > 0 ? ((100 * s.merged.good) / s.merged.requests).toFixed(1) : "–"}% |` : ""} ${row ? serverCell(row, f.serverCpuPerRequestUs) : fmtSpread(f.serverCpuPerRequestUs, 0)} | ${row ? serverCell(row, { ...f.serverCpuPerTokenUs, values: [] }, 1) : fmt(f.serverCpuPerTokenUs.median, 1)} | ${fmt(f.generatorCpuPerRequestUs.median, 0)} | ${fmt(f.bytesPerRequest.median, 0)} | ${fmt(f.bytesPerToken.median, 1)} |`,
      );
    }
    L.push("");
    const breached = sr.summaries.flatMap((s) =>
      s.slo.filter((v) => !v.ok).map((v) => `${s.transport}: ${v.slo.source} (measured ${fmt(v.actual)})`),
    );
    if (r.slos.length > 0)
      L.push(
        breached.length
          ? `SLO breaches: ${breached.join("; ")}.`
          : `SLOs held for every transport: ${r.slos.join(", ")}.`,
        "",
      );
    L.push(...scheduleLagMarkdown(sr));
    L.push(...poolsMarkdown(sr));
  }
  if (r.processes.length > 0) {
    L.push("## Server processes");
    L.push("");
    L.push("| process | start-up | peak RSS |");
    L.push("|---|--:|--:|");
    for (const p of r.processes)
      L.push(`| ${p.name}${p.cpus ? ` (CPU ${p.cpus})` : ""} | ${fmt(p.startupMs)} ms | ${fmtBytes(p.maxRssBytes)} |`);
    L.push("");
  }
  if (r.sweep) {
    L.push(`## Sweep (${r.sweep.scenario} workload, open loop, SLO ${r.sweep.slos.join(", ")})`);
    L.push("");
    L.push("| transport | knee (req/s) | points (offered → achieved req/s, TTFT p99 ms) | stopped because |");
    L.push("|---|--:|---|---|");
    for (const s of r.sweep.results) {
      L.push(
        `| ${s.transport} | ${s.kneeRps ?? "none"} | ${s.points.map((p) => `${fmt(p.offeredRps, 0)}→${fmt(p.achievedRps, 0)} (${fmt(p.ttftP99)})`).join(", ")} | ${s.stoppedBecause} |`,
      );
    }
    L.push("");
  }
  if (ser) {
    const rows = serializationSplit(
      r,
      ser,
      r.scenarios.find((s) => s.scenario.name === "protocol-overhead")?.scenario.name,
    );
    if (rows.length > 0) {
      L.push("## Serialization vs the rest (CPU per request)");
      L.push("");
      L.push(
        "| transport | serialization µs (micro-benchmarks) | measured CPU µs (server + generator) | serialization share |",
      );
      L.push("|---|--:|--:|--:|");
      for (const x of rows) {
        const share = x.share > 1 ? "estimate exceeds measured CPU" : `${(x.share * 100).toFixed(1)}%`;
        L.push(`| ${x.transport} | ${fmt(x.serializationUs)} | ${fmt(x.totalCpuUs, 0)} | ${share} |`);
      }
      L.push("");
      L.push(
        "Serialization = request encode + decode plus the 64-token stream's encode + decode scaled to this workload's tokens, from reports/serialization.json (generic codec paths, timed separately on the same machine); where it exceeds the CPU measured here, the transport's own hot path is cheaper than the suite's generic case.",
      );
      L.push("");
    }
  }
  L.push("## Verification");
  L.push("");
  for (const line of verificationLines(r)) L.push(line, "");
  if (r.generatorWarnings.length > 0) {
    L.push("## Generator warnings");
    L.push("");
    for (const w of r.generatorWarnings) L.push(`- ${w}`);
    L.push("");
  }
  L.push(`Exit code ${r.exitCode}.`);
  return `${L.join("\n")}\n`;
}
