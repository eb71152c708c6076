import type { LoadSpec, Scenario } from "../result.js";

/**
 * One agent of a run spread over several load generators (`--agents N --agent-index I --start-at TIME`): agent
 * `index` of `count` drives the 1/N share of every configured load from a common wall-clock start.
 */
export interface AgentSpec {
  /** Agents in the run (N). */
  count: number;
  /** This agent, 0-based (I < N). */
  index: number;
  /** The common start, Unix epoch ms (every agent's first window is planned then). */
  startAtMs: number;
  /** Idle time planned after each window (drain, server reads), ms; the window schedule is the same on every agent. */
  gapMs: number;
}

/**
 * A share of a sequence of numbers: the `index`-th of every `count` (index, index + count, index + 2·count, …).
 * Agents, and worker threads or processes inside one, take disjoint shares of the request sequence, so a trace is
 * replayed line by line exactly once across them and prompts cycle as in one process.
 */
export interface SequenceShare {
  count: number;
  index: number;
}

/** Maps a work source's local sequence numbers onto its share of the global sequence. */
export function shareSequence<T>(share: SequenceShare | undefined, source: (seq: number) => T): (seq: number) => T {
  if (!share || share.count <= 1) return source;
  const { count, index } = share;
  return (seq) => source(seq * count + index);
}

/** The share `inner` of the share `outer` (worker `inner.index` of an agent's `outer`). */
export function nestShare(outer: SequenceShare | undefined, inner: SequenceShare): SequenceShare {
  if (!outer || outer.count <= 1) return inner;
  return { count: outer.count * inner.count, index: outer.index + outer.count * inner.index };
}

/** The integer share `index` of `total` split `count` ways (the first `total % count` get one more). */
export function integerShare(total: number, count: number, index: number): number {
  return Math.floor(total / count) + (index < total % count ? 1 : 0);
}

/**
 * Share `index` of `count` of a load: concurrency by integer shares (the first ones get the remainder), rate and
 * in-flight cap evenly. A closed-loop concurrency below `count` leaves some share empty, which is refused: an agent
 * with nothing to do is a configuration error, not a silently smaller run.
 */
export function shareLoad(load: LoadSpec, count: number, index: number): LoadSpec {
  if (count <= 1) return load;
  if (load.mode === "closed") {
    const c = integerShare(load.concurrency, count, index);
    if (c < 1)
      throw new RangeError(
        `--concurrency ${load.concurrency} cannot be shared by ${count} agents (each needs one stream)`,
      );
    return { mode: "closed", concurrency: c, ...(load.rampMs ? { rampMs: load.rampMs } : {}) };
  }
  return {
    ...load,
    ratePerSec: load.ratePerSec / count,
    ...(load.maxInFlight ? { maxInFlight: Math.max(1, Math.ceil(load.maxInFlight / count)) } : {}),
  };
}

/** The sum of the loads agents ran: what the run offered as a whole (closed: streams added; open: rates added). */
export function sumLoads(loads: readonly LoadSpec[]): LoadSpec {
  const first = loads[0];
  if (first.mode === "closed")
    return { mode: "closed", concurrency: loads.reduce((a, l) => a + (l.mode === "closed" ? l.concurrency : 0), 0) };
  const open = loads.filter((l): l is Extract<LoadSpec, { mode: "open" }> => l.mode === "open");
  const cap = open.reduce((a, l) => a + (l.maxInFlight ?? 0), 0);
  return {
    ...first,
    ratePerSec: open.reduce((a, l) => a + l.ratePerSec, 0),
    ...(cap > 0 ? { maxInFlight: cap } : {}),
  };
}

/**
 * This agent's share of a scenario: its load share, its share of the request cap, and its share of the request
 * sequence (by index, so trace lines and prompts are split, never repeated).
 */
export function shareScenario(s: Scenario, agent: Pick<AgentSpec, "count" | "index">): Scenario {
  if (agent.count <= 1) return s;
  return {
    ...s,
    load: shareLoad(s.load, agent.count, agent.index),
    maxRequests: Math.max(1, Math.ceil(s.maxRequests / agent.count)),
    workload: { ...s.workload, share: nestShare(s.workload.share, { count: agent.count, index: agent.index }) },
  };
}

/**
 * How long after the planned window start agent `index` starts its open-loop schedule: constant-rate arrivals of N
 * agents at R/N each interleave evenly when agent I starts I/R later. Closed loops start together.
 */
export function arrivalOffsetMs(load: LoadSpec, count: number, index: number): number {
  if (load.mode !== "open" || load.arrival === "trace" || count <= 1) return 0;
  return (index * 1000) / (load.ratePerSec * count);
}
