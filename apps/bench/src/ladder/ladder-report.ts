import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { LadderResult, LadderStep } from "./ladder.js";

const COLUMNS = [
  "step",
  "req/s",
  "gain",
  "TTFT p50",
  "TTFT p99",
  "E2E p50",
  "E2E p99",
  "E2E gain",
  "requests",
  "errors",
];

function cells(s: LadderStep): string[] {
  if (s.skipped) return [`${s.step}. ${s.name}`, s.skipped, "", "", "", "", "", "", "0", "0"];
  const ms = (v: number) => `${v.toFixed(v < 10 ? 2 : 1)} ms`;
  const gain = (g: number | undefined) => (g === undefined || !Number.isFinite(g) ? "—" : `${g.toFixed(2)}×`);
  const extra = s.step === 4 && s.cacheHits !== undefined ? ` (${s.cacheHits} hits)` : "";
  const load = s.step === 5 && s.coldLoadMs !== undefined ? ` (cold load ${s.coldLoadMs.toFixed(1)} ms)` : "";
  return [
    `${s.step}. ${s.name}${extra}${load}`,
    s.throughputRps.toFixed(1),
    gain(s.throughputGain),
    ms(s.ttftP50Ms),
    ms(s.ttftP99Ms),
    ms(s.e2eP50Ms),
    ms(s.e2eP99Ms),
    gain(s.e2eP50Gain),
    String(s.requests),
    String(s.errors + s.verifyFailures),
  ];
}

function intro(r: LadderResult): string[] {
  const c = r.config;
  return [
    `Measured ${r.startedAt} on ${r.machine.cpus} × ${r.machine.cpuModel}, Node ${r.machine.node}, load average ${r.machine.loadavg.map((l) => l.toFixed(2)).join(" ")}.`,
    `Command: \`${r.command ? `modelwire bench ${r.command.join(" ")}` : "modelwire bench --ladder"}\`.`,
    `One gateway (synthetic engine: TTFT ${c.ttftMs} ms, ${c.interTokenMs} ms between tokens, ${c.workload.outputTokens} tokens, ${c.workload.promptBytes}-byte prompts; --cache-mb 64${c.gatewayArgs?.length ? `; ${c.gatewayArgs.join(" ")}` : ""}), N = ${c.concurrency}, ${c.stepMs} ms per step after ${c.warmupMs} ms of warm-up, ${(c.workload.repeatShare * 100).toFixed(0)} % of requests repeat one of ${c.workload.hotPrompts} prompts (every request is deterministic; steps 1–3 send x-modelwire-cache: off, step 4 on). Step 5: ${c.coldPairs} one-at-a-time calls right after an unload (cold) against calls on the loaded model (preloaded); its gains are preloaded over cold.`,
  ];
}

/** The ladder as Markdown. */
export function ladderMarkdown(r: LadderResult): string {
  const lines = ["# modelwire bench --ladder", "", ...intro(r), ""];
  for (const w of r.wires) {
    lines.push(`## ${w.transport}`, "", `| ${COLUMNS.join(" | ")} |`, `|${COLUMNS.map(() => "---").join("|")}|`);
    for (const s of w.steps) lines.push(`| ${cells(s).join(" | ")} |`);
    lines.push("");
  }
  lines.push("## Recommendation", "", ...r.recommendation.map((l) => `- ${l}`), "");
  return lines.join("\n");
}

const esc = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c] ?? c);

/** The ladder as one self-contained HTML page (no scripts, no external resources). */
export function ladderHtml(r: LadderResult): string {
  const tables = r.wires
    .map(
      (w) =>
        `<h2>${esc(w.transport)}</h2><table><thead><tr>${COLUMNS.map((c) => `<th>${esc(c)}</th>`).join("")}</tr></thead><tbody>${w.steps
          .map(
            (s) =>
              `<tr>${cells(s)
                .map((c) => `<td>${esc(c)}</td>`)
                .join("")}</tr>`,
          )
          .join("")}</tbody></table>`,
    )
    .join("\n");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>modelwire bench --ladder</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse;margin-bottom:1.5em}th,td{border:1px solid #ccc;padding:.3em .6em;text-align:right}td:first-child,th:first-child{text-align:left}</style>
</head><body><h1>modelwire bench --ladder</h1>${intro(r)
    .map((l) => `<p>${esc(l)}</p>`)
    .join("")}
${tables}
<h2>Recommendation</h2><ul>${r.recommendation.map((l) => `<li>${esc(l)}</li>`).join("")}</ul></body></html>
`;
}

/** Writes ladder.json, ladder.md and ladder.html into `dir`. */
export async function writeLadderReports(
  r: LadderResult,
  dir: string,
): Promise<{ json: string; markdown: string; html: string }> {
  await mkdir(dir, { recursive: true });
  const paths = { json: join(dir, "ladder.json"), markdown: join(dir, "ladder.md"), html: join(dir, "ladder.html") };
  await writeFile(paths.json, `${JSON.stringify(r, null, 2)}\n`);
  await writeFile(paths.markdown, ladderMarkdown(r));
  await writeFile(paths.html, ladderHtml(r));
  return paths;
}
