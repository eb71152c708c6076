/**
 * One upstream of a fleet as the gateway keeps it: its client, circuit breaker, the streams it holds, the models
 * its `/api/tags` listed, and its figures (requests, errors by code, time to first token).
 *
 * @module
 */

import { Code, codeName, type InferenceClient, ModelwireError } from "@modelwire/core";
import { build, type Histogram } from "hdr-histogram-js";
import { type Breaker, type BreakerState, createBreaker } from "./breaker.js";
import { type Availability, canonicalModel, type UpstreamView } from "./route.js";
import type { UpstreamSpec } from "./upstream-spec.js";

/** One upstream's figures in `/control/stats` (`fleet.upstreams[i]`), counted in the current stats window. */
export interface UpstreamStats {
  url: string;
  weight: number;
  /** Its stream limit, or `null` for none. */
  maxStreams: number | null;
  state: BreakerState;
  /** Streams in flight on it now. */
  inFlight: number;
  /** Calls (attempts) sent to it. */
  requests: number;
  /** Attempts that got their first chunk (or reply). */
  started: number;
  /** Failed attempts by the code seen (`unavailable`, `deadline_exceeded`, `not_found`, ...). */
  errors: Record<string, number>;
  /** Attempts that failed before their first token and were retried on another upstream. */
  retriedAway: number;
  /** Streams that failed after their first chunk (never retried; the caller got `Unavailable`). */
  failedMidStream: number;
  /** Time from sending a call to its first chunk, ms. */
  ttftMs: { count: number; p50: number; p90: number; p99: number; max: number };
  /** The models its `/api/tags` listed (canonical names), or `null` while unknown. */
  models: string[] | null;
  /** Failures in a row now. */
  consecutiveFailures: number;
  /** The last error it gave, if any. */
  lastError: string | null;
}

/** Counters a member keeps since start (Prometheus reads them; the stats window subtracts a baseline). */
export interface MemberCounters {
  requests: number;
  started: number;
  retriedAway: number;
  failedMidStream: number;
  errors: Map<string, number>;
}

/** One call's attempt on a member; ended exactly once. */
export interface Attempt {
  readonly member: Member;
  readonly startedAt: number;
  readonly trial: boolean;
  ended: boolean;
  firstAt?: number;
  /** When its last chunk came (or it started). */
  lastAt: number;
  /**
   * Since when the fleet has been waiting on the upstream for this attempt's next chunk (its first: since it
   * started); undefined while the chunk it has is with the caller (a slow reader is not a stalled upstream).
   */
  waitingSince?: number;
  /** Aborts the upstream request (set by the fleet when it makes the request). */
  stop?: (why: ModelwireError) => void;
  /** Why the fleet cut it (its upstream's checks failed): the error it ends with, whatever the client says. */
  cut?: ModelwireError;
}

/** Why an attempt ended, for the breaker. */
export type Verdict = "ok" | "failure" | "neutral";

const HIGHEST_US = 3_600_000_000;

/** An upstream of the fleet; it is the router's {@link UpstreamView} of itself. */
export class Member implements UpstreamView {
  availability: Availability = "up";
  inFlight = 0;
  readonly maxStreams: number;
  readonly weight: number;
  models: ReadonlySet<string> | undefined = undefined;
  /** True once it answered anything (a check, a call): gRPC health counts it only then. */
  answered = false;
  lastError: string | undefined;
  readonly counters: MemberCounters = {
    requests: 0,
    started: 0,
    retriedAway: 0,
    failedMidStream: 0,
    errors: new Map(),
  };
  readonly breaker: Breaker;
  private window: MemberCounters = { requests: 0, started: 0, retriedAway: 0, failedMidStream: 0, errors: new Map() };
  private readonly ttft: Histogram = build({
    bitBucketSize: 32,
    autoResize: false,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: 3,
  });
  private tagsJob: Promise<void> | undefined;
  /** Attempts not yet ended. */
  private readonly open = new Set<Attempt>();

  constructor(
    readonly index: number,
    readonly spec: UpstreamSpec,
    readonly client: InferenceClient,
    breaker: { failures: number; backoffMs: number; maxBackoffMs: number },
    onState: (m: Member, s: BreakerState) => void,
    private readonly now: () => number,
    private readonly onFirstChunk?: (m: Member, seconds: number) => void,
  ) {
    this.maxStreams = spec.maxStreams ?? Number.POSITIVE_INFINITY;
    this.weight = spec.weight;
    this.breaker = createBreaker({ ...breaker, onChange: (s) => onState(this, s) });
  }

  get url(): string {
    return this.spec.url;
  }

  /** Starts an attempt: one more stream in flight (and the trial call claimed when the breaker allowed one). */
  begin(): Attempt {
    const trial = this.availability === "trial";
    if (trial) this.breaker.beginTrial();
    this.inFlight++;
    this.counters.requests++;
    const t = this.now();
    const a: Attempt = { member: this, startedAt: t, lastAt: t, waitingSince: t, trial, ended: false };
    this.open.add(a);
    return a;
  }

  /**
   * Its checks failed: cuts the attempts that can no longer be trusted to end — those still waiting for their
   * first chunk (the fleet retries them elsewhere; not when `moveWaiting` is false: no other upstream is up to take them)
   * and streams without a chunk for `stalledMs` (they end `Unavailable`) — so a stopped or unplugged upstream does not hold calls until their deadlines. Returns how many.
   */
  cutStalled(stalledMs: number, moveWaiting = true): number {
    const t = this.now();
    let n = 0;
    for (const a of this.open) {
      if (a.cut || !a.stop) continue;
      const waiting = a.firstAt === undefined;
      if (waiting ? !moveWaiting : t - a.lastAt < stalledMs) continue;
      a.cut = new ModelwireError(
        `upstream ${this.url} stopped answering its checks ${a.firstAt === undefined ? "before the first chunk" : `and sent nothing for ${Math.round(t - a.lastAt)} ms`}`,
        Code.Unavailable,
        { upstream: this.url, reason: "upstream_checks_failed" },
      );
      a.stop(a.cut);
      n++;
    }
    return n;
  }

  /**
   * Cuts the attempts whose upstream has kept them waiting too long, whatever its checks say: no first chunk for
   * `firstChunkMs` (the fleet moves the call to another upstream while nothing was sent) or no next chunk for
   * `interChunkMs` (the stream ends `Unavailable`, reason `upstream_stalled`). Returns how many.
   */
  cutIdle(interChunkMs: number, firstChunkMs: number): number {
    const t = this.now();
    let n = 0;
    for (const a of this.open) {
      if (a.cut || !a.stop || a.waitingSince === undefined) continue;
      const first = a.firstAt === undefined;
      const limit = first ? firstChunkMs : interChunkMs;
      const idle = t - a.waitingSince;
      if (idle < limit) continue;
      a.cut = new ModelwireError(
        first
          ? `upstream ${this.url} sent no first chunk within ${Math.round(idle)} ms (--upstream-first-chunk-ms ${limit})`
          : `upstream ${this.url} stalled: no chunk for ${Math.round(idle)} ms (--upstream-stall-ms ${limit})`,
        Code.Unavailable,
        { upstream: this.url, reason: "upstream_stalled", stalledMs: String(Math.round(idle)) },
      );
      a.stop(a.cut);
      n++;
    }
    return n;
  }

  /** The attempt got its first chunk or reply: the upstream answered. */
  first(a: Attempt): void {
    if (a.firstAt !== undefined) return;
    a.firstAt = this.now();
    a.lastAt = a.firstAt;
    this.answered = true;
    this.counters.started++;
    const ms = a.firstAt - a.startedAt;
    this.ttft.recordValue(Math.min(HIGHEST_US, Math.max(0, Math.round(ms * 1000))));
    this.onFirstChunk?.(this, ms / 1000);
    this.breaker.success();
  }

  /**
   * Ends an attempt (idempotent): no error, or the error it ended with and how it counts for the breaker. Returns
   * true when this call ended it.
   */
  end(a: Attempt, error?: ModelwireError, verdict: Verdict = error ? "failure" : "ok"): boolean {
    if (a.ended) return false;
    a.ended = true;
    this.open.delete(a);
    this.inFlight--;
    if (error) {
      const code = codeName(error.code);
      this.counters.errors.set(code, (this.counters.errors.get(code) ?? 0) + 1);
      this.lastError = `${code}: ${error.rawMessage}`.slice(0, 300);
      if (a.firstAt !== undefined && verdict === "failure") this.counters.failedMidStream++;
    }
    if (verdict === "failure") this.breaker.failure(this.now());
    else if (verdict === "ok") {
      this.answered = true;
      this.breaker.success();
    } else if (a.trial) this.breaker.release();
    return true;
  }

  /** The model list says the model is not here (after it answered "not found"). */
  forget(model: string): void {
    if (!this.models?.has(model)) return;
    const next = new Set(this.models);
    next.delete(model);
    this.models = next;
  }

  /** Reads `/api/tags` again (one read at a time; a failed read keeps what was known). */
  refreshTags(): Promise<void> {
    if (this.tagsJob) return this.tagsJob;
    const job = this.client
      .list({ timeoutMs: 5_000 })
      .then((r) => {
        this.setModels(r.models.map((m) => m.name || m.model));
        this.answered = true;
      })
      .catch(() => {})
      .finally(() => {
        this.tagsJob = undefined;
      });
    this.tagsJob = job;
    return job;
  }

  /** Takes a model list (from `/api/tags` or a fan-out `list`). */
  setModels(names: readonly string[]): void {
    this.models = new Set(names.filter((n) => n !== "").map(canonicalModel));
  }

  /** Starts a new stats window. */
  resetWindow(): void {
    this.window = { ...this.counters, errors: new Map(this.counters.errors) };
    this.ttft.reset();
  }

  /** Its figures in the current stats window. */
  stats(): UpstreamStats {
    const c = this.counters;
    const w = this.window;
    const errors: Record<string, number> = {};
    for (const [code, n] of c.errors) {
      const d = n - (w.errors.get(code) ?? 0);
      if (d > 0) errors[code] = d;
    }
    const h = this.ttft;
    const at = (p: number) => (h.totalCount === 0 ? 0 : h.getValueAtPercentile(p) / 1000);
    return {
      url: this.url,
      weight: this.weight,
      maxStreams: Number.isFinite(this.maxStreams) ? this.maxStreams : null,
      state: this.breaker.state(this.now()),
      inFlight: this.inFlight,
      requests: c.requests - w.requests,
      started: c.started - w.started,
      errors,
      retriedAway: c.retriedAway - w.retriedAway,
      failedMidStream: c.failedMidStream - w.failedMidStream,
      ttftMs: { count: h.totalCount, p50: at(50), p90: at(90), p99: at(99), max: h.totalCount ? h.maxValue / 1000 : 0 },
      models: this.models ? [...this.models].sort() : null,
      consecutiveFailures: this.breaker.consecutiveFailures,
      lastError: this.lastError ?? null,
    };
  }
}

/**
 * How an error from an upstream counts: `failure` (the upstream is in trouble: a connection error, a 5xx, one of
 * its timeouts — not the caller's deadline or cancel), `neutral` (the caller went away, or the upstream was busy)
 * or `ok` (it answered properly, with an error about the request: not found, invalid argument...).
 */
export function verdictOf(e: ModelwireError, callerAborted: boolean): Verdict {
  if (callerAborted) return "neutral";
  switch (e.code) {
    case Code.Canceled:
    case Code.ResourceExhausted:
      return "neutral";
    case Code.Unavailable:
    case Code.DeadlineExceeded:
    case Code.Unknown:
    case Code.Internal:
      // Connection errors, its own timeouts, a broken reply (not JSON, a cut stream), an error line mid-stream.
      return "failure";
    default:
      return Number(e.metadata.httpStatus ?? "0") >= 500 ? "failure" : "ok";
  }
}

/** An error as a ModelwireError (an `Unavailable` for what the client could not code). */
export function asError(e: unknown): ModelwireError {
  return ModelwireError.from(e, Code.Unavailable);
}
