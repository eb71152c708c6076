/**
 * The fleet engine's options, figures and interface (`createFleetEngine` in `fleet-engine.ts` makes one).
 *
 * @module
 */

import type { CallOptions, InferenceClient } from "@modelwire/core";
import type { Engine, EngineContext } from "@modelwire/engine";
import type { BreakerState } from "./breaker.js";
import type { Member, UpstreamStats } from "./member.js";
import type { UpstreamSpec } from "./upstream-spec.js";

/** Options of `createFleetEngine`. */
export interface FleetEngineOptions {
  upstreams: readonly UpstreamSpec[];
  /** The client of one upstream (the gateway's: the HTTP Ollama client without its own retries). */
  createClient(spec: UpstreamSpec): InferenceClient;
  /** Attempts per call while no chunk has been sent. Default 3. */
  attempts?: number;
  /** Consecutive failures that open a breaker. Default 3. */
  failures?: number;
  /** First breaker back-off, ms. Default 1000. */
  backoffMs?: number;
  /**
   * When a check of an upstream fails, its streams without a chunk for this long are cut (`Unavailable`); its
   * calls still waiting for their first chunk are moved to another upstream at once. Default 5000 ms.
   */
  stalledMs?: number;
  /**
   * A started stream whose upstream sends no next chunk for this long is cut, whatever its checks say: the caller
   * gets `Unavailable` with reason `upstream_stalled` (never a retry: chunks were sent). Default 30 000 ms.
   */
  interChunkMs?: number;
  /**
   * A call whose upstream sends no first chunk (or unary reply) for this long is moved to another upstream (within
   * the attempts and the deadline), or fails `Unavailable` with reason `upstream_stalled`. Default 300 000 ms (a
   * model loading counts; Ollama's own load timeout is 5 minutes).
   */
  firstChunkMs?: number;
  /** Session affinity on `x-modelwire-session`. Default true. */
  affinity?: boolean;
  /** Monotonic ms clock. Default `performance.now`. */
  now?: () => number;
  /** [0, 1) randomness for ties. Default `Math.random`. */
  random?: () => number;
  /** Told every breaker change (to log it, and to keep gRPC health in step). */
  onState?(url: string, state: BreakerState, detail: string | undefined): void;
}

/** The fleet's figures in `/control/stats` (`fleet`), in the current stats window. */
export interface FleetStats {
  upstreams: UpstreamStats[];
  /** Attempts made after a first one failed (on another upstream). */
  retries: number;
  /** Calls that went to their session's previous upstream. */
  affinityHits: number;
  /** Calls that waited because every upstream with their model held its stream limit. */
  waited: number;
}

/** The fleet engine. */
export interface FleetEngine extends Engine {
  readonly members: readonly Member[];
  /** True while at least one upstream that has answered is up (what gRPC health and readiness report). */
  anyUp(): boolean;
  /** An active check's outcome for upstream `index`. */
  probed(index: number, answered: boolean): void;
  /** Reads every upstream's `/api/tags` again. */
  refreshTags(): Promise<void>;
  /** Observes each attempt's time to first chunk (the per-upstream Prometheus histogram). */
  setFirstChunkObserver(fn: (url: string, seconds: number) => void): void;
  fleetStats(): FleetStats;
  /** The fleet's counters since start (never reset: what Prometheus reads). */
  totals(): { retries: number; affinityHits: number; waited: number };
  /** Starts a new stats window for {@link FleetEngine.fleetStats}. */
  resetWindow(): void;
  /** Cuts the attempts their upstream keeps waiting too long (runs on a timer; exposed for tests). */
  cutIdle(): number;
  /**
   * Routes one call the fleet relays without parsing (the OpenAI API, to each upstream's own `/v1`): chosen like
   * any call (model, load, affinity), never on the upstreams whose bit is set in `skip`. While `run` has sent the
   * caller nothing (no `hooks.sent()`), a failure moves the call to another upstream like a stream's before its
   * first chunk; after, the caller gets `Unavailable`. The stall limits apply to the waits `run` reports.
   */
  relay<T>(model: string, ctx: EngineContext, skip: number, run: RelayRun<T>): Promise<T>;
}

/** What a relayed call tells the fleet as it goes. */
export interface RelayHooks {
  /** The caller got its first bytes: from now on the call is never moved. */
  sent(): void;
  /** Whether it is waiting on the upstream now (the stall limits count only those waits). */
  waiting(on: boolean): void;
}

/** One attempt of a relayed call on `member`, with the attempt's signal and deadline. */
export type RelayRun<T> = (member: Member, options: CallOptions, hooks: RelayHooks) => Promise<T>;
