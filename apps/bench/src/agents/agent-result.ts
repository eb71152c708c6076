import type { ClockOffset } from "./clock-probe.js";
import type { WindowTiming } from "./window-schedule.js";

export type { ClockOffset } from "./clock-probe.js";
export type { RunIdentity } from "./run-identity.js";
export type { WindowTiming } from "./window-schedule.js";

/** What an agent's result says about the agent (`--agents N --agent-index I`). */
export interface AgentInfo {
  count: number;
  index: number;
  /** The common start as given, ISO 8601, and as epoch ms. */
  startAt: string;
  startAtMs: number;
  /** Planned gap after each window, ms. */
  gapMs: number;
  /** Where it ran. */
  host: string;
  pid: number;
  /** Its clock against the server's, when a reply carried a timestamp. */
  clock?: ClockOffset;
}

/** One agent's part of a merged window. */
export interface AgentWindow {
  index: number;
  /** Start of the measured part on the agent's clock, epoch ms, less its planned arrival offset. */
  startedAtMs?: number;
  /** The same on the server's clock (the agent's clock offset applied), when the offset is known. */
  serverStartedAtMs?: number;
  timing?: WindowTiming;
  requests: number;
  ok: number;
  rps: number;
  /** The agent's own generator self-check warning, when it was generator-bound in this window. */
  warning?: string;
}

/** A window whose agents did not start together. */
export interface MisalignedWindow {
  scenario: string;
  transport: string;
  round: number;
  /** Latest minus earliest start of the measured part, ms. */
  spreadMs: number;
}

/** What a merge of agents found about them. */
export interface AgentsSummary {
  runId: string;
  configHash: string;
  count: number;
  agents: Array<{
    index: number;
    host: string;
    startAt: string;
    clock?: ClockOffset;
    /** Windows in which this agent's generator self-check fired, of `windows`. */
    generatorBoundWindows: number;
    windows: number;
    /** Latest start against the plan, ms. */
    maxLateMs: number;
  }>;
  /** Largest minus smallest clock offset against the server, ms (undefined when any agent's is unknown). */
  clockSkewMs?: number;
  /** The skew is good to ± this (the two extreme offsets' uncertainties added), ms. */
  clockSkewUncertaintyMs?: number;
  /** Largest start spread of any window, ms: on the server's clock when every offset is known, else raw. */
  startMisalignmentMs: number;
  startMisalignmentOn: "server clock" | "agents' clocks";
  /** Spread past which a window counts as misaligned, ms. */
  misalignmentLimitMs: number;
  misaligned: MisalignedWindow[];
  /** Agents that were generator-bound in at least one window. */
  generatorBound: number[];
  /** Plain-words findings (misalignment, skew, generator-bound agents). */
  warnings: string[];
}
