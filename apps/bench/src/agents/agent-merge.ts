import { costFigures } from "../cost.js";
import { combinePools } from "../pool-sampler.js";
import { recommend } from "../recommend.js";
import { createRunRecorder } from "../recorder.js";
import type { BenchResult, CostFigures, Scenario, ScenarioResult, WindowResult } from "../result.js";
import { parseSlos } from "../slo.js";
import { summarizeScenario } from "../summarize.js";
import { runVerdict } from "../verdict.js";
import { mergeLoadStats } from "../worker-pool.js";
import type { AgentInfo, AgentsSummary, AgentWindow, MisalignedWindow } from "./agent-result.js";
import { sumLoads } from "./agent-share.js";

/** Agent result files that do not make one complete run (exit code 2, naming the files and what is wrong). */
export class AgentMergeError extends Error {
  override name = "AgentMergeError";
}

/** A result file as read, with its path for the messages. */
export interface NamedResult {
  path: string;
  result: BenchResult;
}

type AgentFile = NamedResult & { agent: AgentInfo };

/** A window starting this far (or 1% of the measured window, if more) after the first agent's counts as misaligned. */
export const MISALIGNMENT_FLOOR_MS = 10;

/**
 * Checks that the files are the agents of one run, each exactly once: every file is an agent result, all share
 * the run id, configuration hash and agent count, no index is given twice and none is missing, and every agent
 * measured the same windows. Returns them ordered by index; throws {@link AgentMergeError} naming what is wrong.
 */
export function checkAgentFiles(files: readonly NamedResult[]): AgentFile[] {
  if (files.length === 0) throw new AgentMergeError("no agent result files");
  const notAgents = files.filter((f) => !f.result.agent);
  if (notAgents.length > 0)
    throw new AgentMergeError(
      `${notAgents.map((f) => f.path).join(", ")}: not an agent result (run without --agents); agent results and whole runs cannot be merged together`,
    );
  const list: AgentFile[] = files.map((f) => ({ ...f, agent: f.result.agent! }));
  const first = list[0];
  for (const f of list) {
    if (!f.result.run) throw new AgentMergeError(`${f.path}: no run id`);
    if (f.result.run.id !== first.result.run!.id)
      throw new AgentMergeError(
        `agents of different runs: ${first.path} is run ${first.result.run!.id}, ${f.path} is run ${f.result.run.id}`,
      );
    if (f.result.run.configHash !== first.result.run!.configHash)
      throw new AgentMergeError(
        `agents of run ${f.result.run.id} ran different configurations: ${first.path} has hash ${first.result.run!.configHash}, ${f.path} has ${f.result.run.configHash}`,
      );
    if (f.agent.count !== first.agent.count)
      throw new AgentMergeError(
        `${f.path} is one of ${f.agent.count} agents, ${first.path} one of ${first.agent.count}`,
      );
  }
  const count = first.agent.count;
  const byIndex = new Map<number, AgentFile>();
  for (const f of list) {
    const dup = byIndex.get(f.agent.index);
    if (dup) throw new AgentMergeError(`agent ${f.agent.index} given twice: ${dup.path} and ${f.path}`);
    byIndex.set(f.agent.index, f);
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length > 0)
    throw new AgentMergeError(
      `run ${first.result.run!.id} had ${count} agents; missing: ${missing.map((i) => `agent ${i}`).join(", ")} (no result file with --agent-index ${missing.join(", ")}). A merge without them would report a smaller run as the whole one`,
    );
  const ordered = [...byIndex.values()].sort((a, b) => a.agent.index - b.agent.index);
  const layout = (r: BenchResult) =>
    r.scenarios.map((s) => `${s.scenario.name}: ${s.windows.map((w) => `${w.transport}#${w.round}`).join(" ")}`);
  const want = layout(ordered[0].result);
  for (const f of ordered.slice(1)) {
    const got = layout(f.result);
    const bad = Math.max(want.length, got.length);
    for (let i = 0; i < bad; i++)
      if (want[i] !== got[i])
        throw new AgentMergeError(
          `agent ${f.agent.index} (${f.path}) measured other windows than agent 0 (${ordered[0].path}): "${got[i] ?? "nothing"}" where agent 0 has "${want[i] ?? "nothing"}" (a transport skipped on one agent cannot be merged)`,
        );
  }
  return ordered;
}

function combineCost(parts: readonly WindowResult[], requests: number, tokens: number, genCpu: number): CostFigures {
  const c0 = parts[0].cost;
  // Client-side byte counts are each agent's own sockets: they add up. Server-side ones (and the server's CPU) are
  // the one server's counters, read by every agent over (nearly) the same span: the widest reading is kept.
  const clientBytes = c0.bytesCountedOn === "client";
  const widest = parts.reduce((a, w) => (w.cost.serverCpuMicros > a.cost.serverCpuMicros ? w : a), parts[0]).cost;
  const bytesIn = clientBytes
    ? parts.reduce((a, w) => a + w.cost.bytesIn, 0)
    : Math.max(...parts.map((w) => w.cost.bytesIn));
  const bytesOut = clientBytes
    ? parts.reduce((a, w) => a + w.cost.bytesOut, 0)
    : Math.max(...parts.map((w) => w.cost.bytesOut));
  const cpu = Number.isFinite(widest.serverCpuMicros) ? widest.serverCpuMicros : c0.serverCpuMicros;
  const totals = {
    serverCpuMicros: cpu,
    bytesIn,
    bytesOut,
    serverRssBytes: Math.max(...parts.map((w) => w.cost.serverRssBytes)),
    serverMaxRssBytes: Math.max(...parts.map((w) => w.cost.serverMaxRssBytes)),
  };
  return { ...c0, ...costFigures(totals, requests, tokens, genCpu) };
}

/**
 * One window from the agents' parts of it: histograms merged, counts added, rates summed, generator CPU added (its
 * utilization and event-loop lag are the worst agent's), and each agent's part kept, its generator warning named.
 */
export function combineAgentWindows(parts: ReadonlyArray<{ agent: AgentInfo; window: WindowResult }>): WindowResult {
  const ws = parts.map((p) => p.window);
  const rec = createRunRecorder();
  for (const w of ws) rec.merge(w.run);
  const run = rec.toJSON();
  const sum = (f: (w: WindowResult) => number) => ws.reduce((a, w) => a + f(w), 0);
  const genCpu = sum((w) => w.generator.cpuMicros);
  // Starts compared without each agent's planned arrival offset, which is meant to differ.
  const planned = (w: WindowResult) => (w.startedAtMs ?? 0) - (w.timing?.offsetMs ?? 0);
  const agents: AgentWindow[] = parts.map(({ agent, window: w }) => ({
    index: agent.index,
    ...(w.startedAtMs !== undefined ? { startedAtMs: planned(w) } : {}),
    ...(w.startedAtMs !== undefined && agent.clock ? { serverStartedAtMs: planned(w) + agent.clock.offsetMs } : {}),
    ...(w.timing ? { timing: w.timing } : {}),
    requests: w.run.requests,
    ok: w.run.ok,
    rps: w.rps,
    ...(w.warning ? { warning: w.warning } : {}),
  }));
  const bound = agents.filter((a) => a.warning);
  const starts = ws.map((w) => w.startedAtMs).filter((x): x is number => x !== undefined);
  const out: WindowResult = {
    transport: ws[0].transport,
    round: ws[0].round,
    order: ws[0].order,
    load: mergeLoadStats(ws.map((w) => w.load)),
    run,
    cost: combineCost(ws, run.requests, run.tokens, genCpu),
    generator: {
      cpuMicros: genCpu,
      cpuUtilization: Math.max(...ws.map((w) => w.generator.cpuUtilization)),
      eventLoopLagP99Ms: Math.max(...ws.map((w) => w.generator.eventLoopLagP99Ms)),
      eventLoopLagMaxMs: Math.max(...ws.map((w) => w.generator.eventLoopLagMaxMs)),
      wallMs: Math.max(...ws.map((w) => w.generator.wallMs)),
    },
    rps: sum((w) => w.rps),
    tokensPerSec: sum((w) => w.tokensPerSec),
    errorRate: run.requests > 0 ? (run.requests - run.ok) / run.requests : 0,
    goodputRatio: run.requests > 0 ? run.good / run.requests : 0,
    ...(starts.length > 0 ? { startedAtMs: Math.min(...starts) } : {}),
    agents,
  };
  // Rates are summed per agent; the load's own figures follow (offered and achieved rates added too).
  out.load = {
    ...out.load,
    offeredRps: sum((w) => w.load.offeredRps),
    achievedRps: sum((w) => w.load.achievedRps),
  };
  const pool = combinePools(ws.map((w) => w.pool));
  if (pool) out.pool = pool;
  if (bound.length > 0)
    out.warning = `agent${bound.length > 1 ? "s" : ""} ${bound.map((a) => a.index).join(", ")} of ${parts.length} generator-bound: ${bound.map((a) => `agent ${a.index}: ${a.warning}`).join(" ")}`;
  return out;
}

/** The spread of a merged window's starts: on the server's clock when every agent's offset is known. */
function startSpread(w: WindowResult, onServer: boolean): number | undefined {
  const xs = (w.agents ?? [])
    .map((a) => (onServer ? a.serverStartedAtMs : a.startedAtMs))
    .filter((x): x is number => x !== undefined);
  if (xs.length < 2) return undefined;
  return Math.max(...xs) - Math.min(...xs);
}

function summarizeAgents(files: readonly AgentFile[], scenarios: readonly ScenarioResult[]): AgentsSummary {
  const run = files[0].result.run!;
  const clocks = files.map((f) => f.agent.clock);
  const allClocks = clocks.every((c) => c !== undefined);
  const misaligned: MisalignedWindow[] = [];
  let worst = 0;
  const limitOf = (s: Scenario) => Math.max(MISALIGNMENT_FLOOR_MS, s.durationMs / 100);
  for (const sr of scenarios)
    for (const w of sr.windows) {
      const spread = startSpread(w, allClocks);
      if (spread === undefined) continue;
      worst = Math.max(worst, spread);
      if (spread > limitOf(sr.scenario))
        misaligned.push({ scenario: sr.scenario.name, transport: w.transport, round: w.round, spreadMs: spread });
    }
  const agents = files.map((f) => {
    const ws = f.result.scenarios.flatMap((s) => s.windows);
    return {
      index: f.agent.index,
      host: f.agent.host,
      startAt: f.agent.startAt,
      ...(f.agent.clock ? { clock: f.agent.clock } : {}),
      generatorBoundWindows: ws.filter((w) => w.warning).length,
      windows: ws.length,
      maxLateMs: Math.max(0, ...ws.map((w) => w.timing?.lateMs ?? 0)),
    };
  });
  const summary: AgentsSummary = {
    runId: run.id,
    configHash: run.configHash,
    count: files.length,
    agents,
    startMisalignmentMs: worst,
    startMisalignmentOn: allClocks ? "server clock" : "agents' clocks",
    misalignmentLimitMs: Math.min(...scenarios.map((s) => limitOf(s.scenario))),
    misaligned,
    generatorBound: agents.filter((a) => a.generatorBoundWindows > 0).map((a) => a.index),
    warnings: [],
  };
  if (allClocks) {
    const sorted = files.map((f) => f.agent.clock!).sort((a, b) => a.offsetMs - b.offsetMs);
    summary.clockSkewMs = sorted[sorted.length - 1].offsetMs - sorted[0].offsetMs;
    summary.clockSkewUncertaintyMs = sorted[sorted.length - 1].uncertaintyMs + sorted[0].uncertaintyMs;
  }
  const W = summary.warnings;
  if (misaligned.length > 0)
    W.push(
      `Start misalignment: in ${misaligned.length} window(s) the agents started up to ${Math.max(...misaligned.map((m) => m.spreadMs)).toFixed(0)} ms apart (${summary.startMisalignmentOn}; limit ${summary.misalignmentLimitMs.toFixed(0)} ms): ${misaligned
        .slice(0, 5)
        .map((m) => `${m.scenario} / ${m.transport} round ${m.round} ${m.spreadMs.toFixed(0)} ms`)
        .join(
          ", ",
        )}${misaligned.length > 5 ? ", …" : ""}. Their loads overlapped only partly, so the summed rates overstate and the latencies understate the combined load; check the agents' clocks (NTP) and --start-at.`,
    );
  if (!allClocks)
    W.push(
      `Clock skew not measured for agent(s) ${files
        .filter((f) => !f.agent.clock)
        .map((f) => f.agent.index)
        .join(", ")} (no reply carried a server timestamp): start alignment is judged on the agents' own clocks.`,
    );
  for (const a of agents)
    if (a.generatorBoundWindows > 0)
      W.push(
        `Agent ${a.index} (${a.host}) was generator-bound in ${a.generatorBoundWindows} of ${a.windows} windows: its share understates what the server can take; add agents or workers.`,
      );
  return summary;
}

/** The lines that open the merged run's recommendation. */
export function agentLines(s: AgentsSummary): string[] {
  const skew =
    s.clockSkewMs !== undefined
      ? `clock skew ${s.clockSkewMs.toFixed(1)} ms (± ${s.clockSkewUncertaintyMs!.toFixed(1)})`
      : "clock skew not measured";
  return [
    `Merged ${s.count} agents of run ${s.runId} (configuration ${s.configHash}): ${skew}; start misalignment at most ${s.startMisalignmentMs.toFixed(1)} ms (${s.startMisalignmentOn}).`,
    ...s.warnings,
  ];
}

/**
 * Merges the agents of one run into the run's result (`--report-from agent-*.json`): after
 * {@link checkAgentFiles}, each window's parts are combined ({@link combineAgentWindows}), each scenario's load is
 * the agents' loads added, and summaries, SLO verdicts and the recommendation are recomputed by the same code as a
 * fresh run, with the agents' clock skew, start misalignment and generator-bound agents in `agents`.
 */
export function mergeAgentResults(files: readonly NamedResult[]): BenchResult {
  const ordered = checkAgentFiles(files);
  const first = ordered[0].result;
  const slos = parseSlos(first.slos.join(","));
  const scenarios = first.scenarios.map((sr0, si) => {
    const parts = ordered.map((f) => f.result.scenarios[si]);
    const windows = sr0.windows.map((_, wi) =>
      combineAgentWindows(ordered.map((f, ai) => ({ agent: f.agent, window: parts[ai].windows[wi] }))),
    );
    const { share: _share, ...workload } = sr0.scenario.workload;
    const scenario: Scenario = {
      ...sr0.scenario,
      workload,
      load: sumLoads(parts.map((p) => p.scenario.load)),
      maxRequests: parts.reduce((a, p) => a + p.scenario.maxRequests, 0),
    };
    const order = sr0.summaries.map((s) => s.transport);
    return summarizeScenario(scenario, windows, slos, order.length > 0 ? order : undefined);
  });
  const agents = summarizeAgents(ordered, scenarios);
  const { agent: _agent, ...base } = first;
  const merged: BenchResult = {
    ...base,
    startedAt: ordered.map((f) => f.result.startedAt).sort()[0],
    finishedAt: ordered
      .map((f) => f.result.finishedAt)
      .sort()
      .at(-1)!,
    durationMs: Math.max(...ordered.map((f) => f.result.durationMs)),
    agents,
    scenarios,
    ...runVerdict(scenarios),
    processes: ordered.flatMap((f) => f.result.processes),
    skipped: [...new Map(ordered.flatMap((f) => f.result.skipped).map((s) => [s.transport, s])).values()],
    recommendation: [],
  };
  merged.recommendation = [...agentLines(agents), ...recommend(merged)];
  return merged;
}
