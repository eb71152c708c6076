import { cpus, loadavg } from "node:os";
import { agentScenarios, type PreparedAgent, prepareAgent } from "./agents/agent-run.js";
import type { AgentSpec } from "./agents/agent-share.js";
import { runIdentity } from "./agents/run-identity.js";
import { startFleet } from "./fleet.js";
import { createGeneratorMonitor } from "./generator-monitor.js";
import { type OutcomeLog, openOutcomeLog } from "./outcome-log.js";
import type { Progress } from "./progress.js";
import { type BenchResult, RESULT_SCHEMA, type Scenario, type ScenarioResult } from "./result.js";
import { runScenario } from "./rounds.js";
import type { Slo } from "./slo.js";
import { runSweep, type SweepConfig, sweepBound } from "./sweep.js";
import type { ForeignOptions } from "./targets/foreign.js";
import type { TargetSpec } from "./targets/target-spec.js";
import type { TransportPlugin } from "./transports.js";
import { runVerdict } from "./verdict.js";
import type { WorkerMode } from "./worker-spawn.js";
import { createWorkSource } from "./workload.js";

export type { SweepConfig } from "./sweep.js";

/** Everything a bench run needs. */
export interface BenchConfig {
  scenarios: Scenario[];
  transports: TransportPlugin[];
  repeats: number;
  /** SLOs checked per scenario and transport (breach → exit 1). */
  slos: Slo[];
  sweep?: SweepConfig;
  /** The gateway's built entry (`GATEWAY_MAIN`); required when a gateway transport is selected. */
  gatewayMain?: string;
  /** Extra gateway flags. */
  gatewayArgs?: string[];
  /** Pin servers to these CPUs with taskset (e.g. "1"). */
  serverCpus?: string;
  /** Client connections per transport (where the transport pools). */
  connections?: number;
  /** Write one JSON line per request here (in-process generator only; not with workers). */
  jsonlPath?: string;
  /**
   * Load-generator worker threads per transport (default 1 = the main thread drives the load). With more, each
   * window's load is split across workers, each with its own client, and their histograms merged.
   */
  workers?: number;
  /** Workers as threads (default) or processes of their own (`--worker-mode`). */
  workerMode?: WorkerMode;
  /** Pin worker processes to these CPUs with taskset, round-robin (`--client-cpus`). */
  clientCpus?: number[];
  /** This run is one agent's share of a run spread over several load generators (`--agents`). */
  agent?: AgentSpec;
  /** The run id recorded in the result (`--run-id`); see {@link runIdentity}. */
  runId?: string;
  /** Servers already running elsewhere (`--target`): their transports are not spawned. */
  targets?: TargetSpec[];
  /** `--upstream`: the spawned gateway runs in front of this Ollama, and `direct` talks to it straight. */
  upstream?: string;
  /** Several `--upstream`s (the first is `upstream`): the gateway runs in front of all; each has its `direct-N`. */
  upstreams?: string[];
  /** Token, CA, model and admin URLs for the servers the bench did not start. */
  foreign?: ForeignOptions;
  /** `--record-trace`: write the first measured window's sends here as a replayable trace. */
  recordTracePath?: string;
  progress: Progress;
}

/** The machine a run measured on. */
export function machineInfo(): BenchResult["machine"] {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    loadavg: loadavg(),
  };
}

/**
 * Runs the whole comparison: starts the fleet, runs every scenario's interleaved rounds, then the sweep, and
 * returns the result with its verdict (reports and the recommendation are the caller's).
 */
export async function runBench(cfg: BenchConfig): Promise<BenchResult> {
  const startedAt = new Date();
  const t0 = performance.now();
  const p = cfg.progress;
  const workers = cfg.workers ?? 1;
  const seed = cfg.scenarios[0]?.workload.engine.seed ?? 42;
  // The configuration as given (every agent's is the same); each agent then runs its share of it.
  const run = runIdentity(
    { ...cfg, agent: cfg.agent && { count: cfg.agent.count, startAtMs: cfg.agent.startAtMs, gapMs: cfg.agent.gapMs } },
    { runId: cfg.runId, agents: cfg.agent !== undefined },
  );
  const shares = agentScenarios(cfg.scenarios, cfg.agent);
  let agent: PreparedAgent | undefined;
  const log: OutcomeLog | undefined = cfg.jsonlPath ? openOutcomeLog(cfg.jsonlPath) : undefined;
  const scenarios: ScenarioResult[] = [];
  let sweep: BenchResult["sweep"];
  let processes: BenchResult["processes"] = [];
  let skipped: BenchResult["skipped"] = [];
  let targets: BenchResult["targets"];
  try {
    const fleet = await startFleet({ ...cfg, scenarios: shares, seed, workers }, p);
    skipped = fleet.skipped;
    for (const s of cfg.scenarios) p.plan(cfg.repeats * fleet.active.length, s.warmupMs + s.durationMs);
    if (cfg.sweep) {
      const bound = sweepBound(cfg.sweep, fleet.active.length);
      p.mayAdd(bound.units, bound.plannedMs, "sweep");
    }
    if (fleet.targets.length > 0) targets = [...fleet.targets];
    try {
      if (cfg.agent && shares[0])
        agent = await prepareAgent(
          cfg.agent,
          fleet,
          { scenario: shares[0], work: createWorkSource(shares[0].workload) },
          p,
        );
      const monitor = createGeneratorMonitor();
      const recordTrace = cfg.recordTracePath ? { path: cfg.recordTracePath, written: false } : undefined;
      for (const scenario of shares)
        scenarios.push(
          await runScenario(
            fleet,
            scenario,
            { ...cfg, workers, log, schedule: agent?.schedule, recordTrace },
            monitor,
            p,
          ),
        );
      if (cfg.sweep) sweep = await runSweep(fleet, cfg.sweep, p);
      processes = await fleet.processes();
    } finally {
      await fleet.close();
    }
  } finally {
    p.done();
    await log?.close();
  }
  return {
    schema: RESULT_SCHEMA,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    durationMs: performance.now() - t0,
    run,
    ...(agent ? { agent: agent.info } : {}),
    machine: machineInfo(),
    repeats: cfg.repeats,
    transports: cfg.transports.map((t) => ({ name: t.name, description: t.description, reference: t.reference })),
    skipped,
    processes,
    ...(targets ? { targets } : {}),
    scenarios,
    ...(sweep ? { sweep } : {}),
    slos: cfg.slos.map((s) => s.source),
    ...runVerdict(scenarios),
    recommendation: [],
  };
}
