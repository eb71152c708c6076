import type { BenchResult } from "../result.js";

/** The Markdown section on a merged run's agents (empty for a run without agents). */
export function agentsMarkdown(r: BenchResult): string[] {
  const a = r.agents;
  if (!a) {
    if (!r.agent) return [];
    return [
      "## Agent",
      "",
      `Agent ${r.agent.index} of ${r.agent.count} of run ${r.run?.id ?? "?"} (configuration ${r.run?.configHash ?? "?"}) on ${r.agent.host}, start ${r.agent.startAt}: these figures are its share of the load only; merge every agent with \`modelwire bench --report-from agent-*.json\`.`,
      "",
    ];
  }
  const L = ["## Agents", ""];
  L.push(
    `Run ${a.runId}, configuration ${a.configHash}: ${a.count} agents; start misalignment at most ${a.startMisalignmentMs.toFixed(1)} ms (${a.startMisalignmentOn}; a window counts as misaligned past ${a.misalignmentLimitMs.toFixed(0)} ms)${a.clockSkewMs !== undefined ? `; clock skew ${a.clockSkewMs.toFixed(1)} ms (± ${a.clockSkewUncertaintyMs?.toFixed(1)})` : ""}.`,
  );
  L.push("");
  L.push("| agent | host | clock offset vs server | latest start vs plan | generator-bound windows |");
  L.push("|--:|---|--:|--:|--:|");
  for (const x of a.agents)
    L.push(
      `| ${x.index} | ${x.host} | ${x.clock ? `${x.clock.offsetMs.toFixed(1)} ms ± ${x.clock.uncertaintyMs.toFixed(1)} (${x.clock.via})` : "not measured"} | ${x.maxLateMs.toFixed(1)} ms | ${x.generatorBoundWindows} of ${x.windows} |`,
    );
  L.push("");
  for (const w of a.warnings) L.push(`- ${w}`);
  if (a.warnings.length > 0) L.push("");
  return L;
}
