import type { AgentInfo, AgentsSummary, AgentWindow, RunIdentity, WindowTiming } from "./agents/agent-result.js";
import type { GeneratorFigures } from "./generator-monitor.js";
import type { LoadStats } from "./load.js";
import type { PoolFigures } from "./pool-sampler.js";
import type { RecordedRun, VerifyTotals } from "./recorder.js";
import type { SloResult } from "./slo.js";
import type { Workload } from "./workload.js";

/** The JSON schema tag of a result file. */
export const RESULT_SCHEMA = "modelwire-bench/1";

/** How a scenario drives load. */
export type LoadSpec =
  | {
      mode: "closed";
      concurrency: number;
      /** `--ramp`: the streams start one by one over the first `rampMs` of every driven window. */
      rampMs?: number;
    }
  | {
      mode: "open";
      /** Arrivals per second (with a trace: its mean rate at `traceSpeed`, for the report). */
      ratePerSec: number;
      /** `trace`: the arrivals are the trace's (`workload.trace`), its offsets divided by `traceSpeed`. */
      arrival: "constant" | "poisson" | "trace";
      maxInFlight?: number;
      /** `--ramp`: the rate rises linearly from 0 over the first `rampMs` of every driven window. */
      rampMs?: number;
      /** `--trace-speed`: 2 replays a trace twice as fast. */
      traceSpeed?: number;
    };

/** One load configuration, run for every transport and repeated. */
export interface Scenario {
  name: string;
  description: string;
  workload: Workload;
  load: LoadSpec;
  /** Measured window, ms. */
  durationMs: number;
  /** Warm-up before each measured window (excluded from every figure), ms. */
  warmupMs: number;
  /** Request cap per measured window. */
  maxRequests: number;
}

/** Server and generator cost over one measured window. */
export interface CostFigures {
  /** Server process CPU (user + system) over the window, µs. */
  serverCpuMicros: number;
  serverCpuPerRequestUs: number;
  serverCpuPerTokenUs: number;
  /** Socket bytes the server read / wrote for this transport over the window. */
  bytesIn: number;
  bytesOut: number;
  bytesPerRequest: number;
  bytesPerToken: number;
  /** Server RSS at the window's end, and its peak since start. */
  serverRssBytes: number;
  serverMaxRssBytes: number;
  generatorCpuPerRequestUs: number;
  /**
   * False when the server is not one the bench can read (a foreign target without `--admin`): the server's CPU and
   * RSS figures are NaN then, reported as "server cost not measured (foreign server)", never as zero.
   */
  serverMeasured?: boolean;
  /** Where the bytes were counted: the server's listener sockets, or the client's sockets (foreign targets). */
  bytesCountedOn?: "server" | "client";
}

/** One transport in one round of one scenario. */
export interface WindowResult {
  transport: string;
  round: number;
  /** Position within the round (transports are interleaved, rotated per round). */
  order: number;
  load: LoadStats;
  run: RecordedRun;
  cost: CostFigures;
  generator: GeneratorFigures;
  rps: number;
  tokensPerSec: number;
  errorRate: number;
  goodputRatio: number;
  warning?: string;
  /** Start of the measured part, Unix epoch ms (this generator's clock). */
  startedAtMs?: number;
  /** Agents: the window's planned start and how late it began. */
  timing?: WindowTiming;
  /** Merged agents: each agent's part of this window. */
  agents?: AgentWindow[];
  /** The client's connection pool over the measured part (absent in results recorded before it was sampled). */
  pool?: PoolFigures;
  /** A gateway in front of several `--upstream`s: how it spread this window's calls over them. */
  upstreams?: UpstreamShare[];
}

/** One upstream's part of a window through a fleet gateway. */
export interface UpstreamShare {
  url: string;
  /** Calls it served (attempts that got their first chunk). */
  calls: number;
  /** Attempts sent to it (a call moved elsewhere before its first chunk counts on both). */
  attempts: number;
}

/** Median and range of one figure over the rounds. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  values: number[];
}

/** The figures quoted per transport as median and spread. */
export const FIGURES = [
  "rps",
  "tokensPerSec",
  "ttftP50",
  "ttftP99",
  "e2eP50",
  "e2eP99",
  "tpotP50",
  "gapP99",
  "stallP99",
  "errorRate",
  "serverCpuPerRequestUs",
  "serverCpuPerTokenUs",
  "bytesPerRequest",
  "bytesPerToken",
  "generatorCpuPerRequestUs",
  "overheadP50",
  "overheadP99",
  "ttftOverheadP50",
  "ttftOverheadP99",
  "tokenOverheadP50",
  "tokensPerChunk",
] as const;
/** One of {@link FIGURES}. */
export type FigureName = (typeof FIGURES)[number];

/** Higher is better for these figures; lower for the rest. */
export const HIGHER_IS_BETTER: ReadonlySet<FigureName> = new Set(["rps", "tokensPerSec"]);

/** One transport's results in one scenario, over all rounds. */
export interface TransportSummary {
  transport: string;
  rounds: number;
  /** Every round's histograms merged (percentile curves use this). */
  merged: RecordedRun;
  figures: Record<FigureName, Spread>;
  slo: SloResult[];
  warnings: string[];
}

/** One scenario's results. */
export interface ScenarioResult {
  scenario: Scenario;
  windows: WindowResult[];
  summaries: TransportSummary[];
}

/** One step of the rate sweep. */
export interface SweepPoint {
  offeredRps: number;
  achievedRps: number;
  ttftP50: number;
  ttftP99: number;
  e2eP99: number;
  errorRate: number;
  sloOk: boolean;
}

/** The sweep for one transport: rising open-loop rates until the SLO breaks. */
export interface SweepResult {
  transport: string;
  points: SweepPoint[];
  /** Highest offered rate that met the SLO (the knee), if any did. */
  kneeRps?: number;
  /** Why the sweep stopped. */
  stoppedBecause: string;
}

/** A server process's figures. */
export interface ProcessInfo {
  name: string;
  pid: number;
  startupMs: number;
  maxRssBytes: number;
  /** The taskset CPU list it ran on, if pinned. */
  cpus?: string;
}

/**
 * How the output was checked. `tokens`: every token against the synthetic engine's (a server the bench started);
 * `consistency`: the same reproducible request (a seed, temperature 0) must give the same text on every wire (a real
 * engine); both when a run had both kinds; `none` when nothing could be checked.
 */
export type VerificationMode = "tokens" | "consistency" | "tokens+consistency" | "none";

/** The cross-wire consistency check's totals over a run. */
export interface ConsistencyReport {
  /** Streams whose text was compared. */
  streams: number;
  /** Distinct reproducible requests seen. */
  requests: number;
  /** Requests that gave different text (on two wires, or twice on one). */
  inconsistent: number;
  /** Streams not compared (too many distinct requests to hold). */
  unchecked: number;
  /** Up to three differences: which request, on which wires. */
  examples: Array<{
    scenario: string;
    key: string;
    transports: string[];
    /** The differing text (around `at`, the first character that differs, when known) and the first one. */
    text?: string;
    firstText?: string;
    at?: number;
  }>;
}

/** The verification totals of a run (token counts from the synthetic engine's checks, and consistency). */
export interface Verification extends VerifyTotals {
  /** Which check ran (absent in results recorded before the consistency check existed: tokens). */
  mode?: VerificationMode;
  consistency?: ConsistencyReport;
}

/** A server the bench did not start: a `--target`, or the Ollama behind `--upstream`. */
export interface TargetInfo {
  transport: string;
  /** The address as given. */
  address: string;
  /** `target` (benchmarked directly), or `upstream` (the gateway runs in front of it; `direct` is the baseline). */
  role: "target" | "upstream";
  /** The model asked of it. */
  model?: string;
  /** True when its `/control/stats` was read (`--admin`). */
  serverMeasured: boolean;
}

/** A complete bench result (the JSON report). */
export interface BenchResult {
  schema: typeof RESULT_SCHEMA;
  /** The bench arguments that produced it (for reproduction), when run from the CLI. */
  command?: string[];
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** The run this result belongs to and its configuration hash (absent only in files from before they existed). */
  run?: RunIdentity;
  /** Set when this result is one agent's share of a run (`--agents`). */
  agent?: AgentInfo;
  /** Set when this result merges a run's agents (`--report-from agent-*.json`). */
  agents?: AgentsSummary;
  machine: { cpus: number; cpuModel: string; node: string; platform: string; loadavg: number[] };
  repeats: number;
  transports: Array<{ name: string; description: string; reference: boolean }>;
  skipped: Array<{ transport: string; reason: string }>;
  processes: ProcessInfo[];
  /** Servers the bench did not start (`--target`, `--upstream`), when there were any. */
  targets?: TargetInfo[];
  scenarios: ScenarioResult[];
  sweep?: { scenario: string; slos: string[]; results: SweepResult[] };
  slos: string[];
  sloBreaches: Array<{ scenario: string; transport: string; slo: string; actual: number }>;
  verification: Verification;
  generatorWarnings: string[];
  /** The serialization micro-benchmark results joined in, when reports/serialization.json existed. */
  serialization?: unknown;
  /** Generated recommendation lines. */
  recommendation: string[];
  exitCode: number;
}
