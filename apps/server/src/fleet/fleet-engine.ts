/**
 * The fleet engine: an {@link Engine} in front of several upstream Ollamas. Each generate, chat, embed and show
 * call goes to one upstream chosen by {@link chooseUpstream} (model-aware, least outstanding, weighted ties,
 * optional session affinity); a call that fails before its first chunk is retried on another upstream (bounded
 * attempts, within the caller's deadline); a stream that fails after its first chunk is never retried and ends
 * with `Unavailable`, so no token is ever sent twice. Listing and `running` ask every upstream and merge.
 *
 * @module
 */

import {
  abortReason,
  type CallOptions,
  Code,
  clampTimerMs,
  type InferenceClient,
  type ListModelsResponse,
  type ListRunningResponse,
  ModelwireError,
  type VersionResponse,
} from "@modelwire/core";
import { createCallCounter, type EngineContext, isAborted } from "@modelwire/engine";
import { LRUCache } from "lru-cache";
import type { BreakerState } from "./breaker.js";
import { type Attempt, asError, Member, verdictOf } from "./member.js";
import { ALL_FULL, canonicalModel, chooseUpstream, MAX_ROUTED_UPSTREAMS, NONE_UP, type RouteAsk } from "./route.js";

/** The request metadata key that names a session for affinity (an HTTP header, gRPC metadata, MCP OPEN metadata). */
export const SESSION_KEY = "x-modelwire-session";
/** Longest session key accepted. */
export const MAX_SESSION_KEY = 256;
/** Sessions remembered at once (least recently used forgotten first) and for how long. */
const AFFINITY_ENTRIES = 10_000;
const AFFINITY_TTL_MS = 30 * 60_000;
/** Longest back-off of a breaker. */
const MAX_BACKOFF_MS = 60_000;

import type { FleetEngine, FleetEngineOptions, RelayRun } from "./fleet-types.js";
import { createRoom } from "./room.js";

export type { FleetEngine, FleetEngineOptions, FleetStats } from "./fleet-types.js";

/** Creates the fleet engine over `options.upstreams` (at most {@link MAX_ROUTED_UPSTREAMS}). */
export function createFleetEngine(options: FleetEngineOptions): FleetEngine {
  if (options.upstreams.length === 0 || options.upstreams.length > MAX_ROUTED_UPSTREAMS) {
    throw new ModelwireError(
      `--upstream: a fleet takes 1 to ${MAX_ROUTED_UPSTREAMS} upstreams, got ${options.upstreams.length}`,
      Code.InvalidArgument,
      { option: "--upstream", field: "--upstream" },
    );
  }
  const now = options.now ?? (() => performance.now());
  const random = options.random ?? Math.random;
  const maxAttempts = options.attempts ?? 3;
  const affinityOn = options.affinity ?? true;
  const stalledMs = options.stalledMs ?? 5_000;
  const interChunkMs = options.interChunkMs ?? 30_000;
  const firstChunkMs = options.firstChunkMs ?? 300_000;
  const breaker = {
    failures: options.failures ?? 3,
    backoffMs: options.backoffMs ?? 1000,
    maxBackoffMs: MAX_BACKOFF_MS,
  };
  let firstChunk: ((url: string, seconds: number) => void) | undefined;
  const room = createRoom();
  const wake = () => room.wake();
  const onState = (m: Member, s: BreakerState) => {
    options.onState?.(m.url, s, m.lastError);
    if (s === "up") void m.refreshTags();
    wake();
  };
  const members = options.upstreams.map(
    (spec, i) =>
      new Member(i, spec, options.createClient(spec), breaker, onState, now, (m, seconds) =>
        firstChunk?.(m.url, seconds),
      ),
  );
  const affinity = new LRUCache<string, number>({ max: AFFINITY_ENTRIES, ttl: AFFINITY_TTL_MS });
  const counter = createCallCounter();
  const totals = { retries: 0, affinityHits: 0, waited: 0 };
  let window = { ...totals };
  const cutIdle = () => members.reduce((n, m) => n + m.cutIdle(interChunkMs, firstChunkMs), 0);
  // A quarter of the shorter limit, between 25 ms and 1 s: a stall is cut within 1.25x its limit.
  const idleTimer = setInterval(
    cutIdle,
    clampTimerMs(Math.min(Math.max(Math.min(interChunkMs, firstChunkMs) / 4, 25), 1_000)),
  );
  idleTimer.unref();

  function sessionOf(ctx: EngineContext): string | undefined {
    if (!affinityOn) return undefined;
    const key = ctx.requestMetadata?.(SESSION_KEY);
    if (key === undefined || key === "") return undefined;
    if (key.length > MAX_SESSION_KEY) {
      throw new ModelwireError(`${SESSION_KEY} is longer than ${MAX_SESSION_KEY} characters`, Code.InvalidArgument, {
        field: SESSION_KEY,
      });
    }
    return key;
  }

  /**
   * Starts the next attempt on the upstream the router picks (counted in flight in the same turn as the choice,
   * so concurrent calls see each other), or throws a coded error when there is none.
   */
  async function pick(ask: RouteAsk, ctx: EngineContext, last: ModelwireError | undefined): Promise<Attempt> {
    let waited = false;
    for (;;) {
      const t = now();
      for (const m of members) m.availability = m.breaker.availability(t);
      const i = chooseUpstream(members, ask, random);
      if (i >= 0) {
        if (i === ask.preferred) totals.affinityHits++;
        ask.tried |= 1 << i;
        return members[i].begin();
      }
      if (i === ALL_FULL) {
        if (!waited) totals.waited++;
        waited = true;
        await room.wait(ctx.signal);
        continue;
      }
      if (last) throw last;
      if (i === NONE_UP) {
        const states = members.map((m) => `${m.url} ${m.breaker.state(t)}`).join(", ");
        throw new ModelwireError(`no upstream is up for model "${ask.model}" (${states})`, Code.Unavailable, {
          reason: "no_upstream_up",
        });
      }
      throw new ModelwireError(`model "${ask.model}" is on no upstream`, Code.NotFound, { field: "model" });
    }
  }

  /**
   * Decides after a failed attempt whether to try another upstream: only before any chunk was sent, within the
   * attempts and the deadline, and for a reason another upstream may not share (it failed, was busy, or did not
   * have the model after all).
   */
  function retryable(e: ModelwireError, attempts: number, ctx: EngineContext, failure: boolean): boolean {
    if (attempts >= maxAttempts || isAborted(ctx)) return false;
    if (ctx.deadline !== undefined && Date.now() >= ctx.deadline) return false;
    return failure || e.code === Code.ResourceExhausted || e.code === Code.NotFound;
  }

  /** Ends a failed attempt; returns whether it counts against the upstream. */
  function failed(a: Attempt, e: ModelwireError, ctx: EngineContext): boolean {
    const verdict = verdictOf(e, isAborted(ctx));
    a.member.end(a, e, verdict);
    return verdict === "failure";
  }

  /**
   * After an attempt failed before its first chunk: throws what the caller gets, or returns the error to keep while
   * the call moves to another upstream (a `not found` also marks the model as not there, and rereads the list).
   */
  function retryOrThrow(a: Attempt, e: unknown, ask: RouteAsk, attempts: number, ctx: EngineContext): ModelwireError {
    const err = a.cut ?? asError(e);
    const m = a.member;
    const failure = failed(a, err, ctx);
    if (isAborted(ctx)) throw abortReason(ctx.signal);
    if (!retryable(err, attempts, ctx, failure)) throw err;
    if (err.code === Code.NotFound) {
      ask.listedOnly = true;
      m.forget(ask.model);
      void m.refreshTags();
    }
    m.counters.retriedAway++;
    totals.retries++;
    return err;
  }

  /** The options of one attempt's request: the caller's deadline and signal, and the fleet's own stop. */
  function attemptOptions(a: Attempt, ctx: EngineContext): CallOptions {
    const own = new AbortController();
    a.stop = (why) => own.abort(why);
    return { signal: AbortSignal.any([ctx.signal, own.signal]), deadline: ctx.deadline };
  }

  /**
   * The fleet's one route/attempt/retry loop, for streams, unary calls and relays. Picks an upstream for `model`
   * (with the session's affinity when `session`; `skip` is a bit set of upstreams not to try) and runs one attempt
   * on it. Before the attempt calls `started()` (or returns), a failure moves the call to another upstream
   * ({@link retryOrThrow}); after it, the call is never moved ({@link midStream}). Returns the attempt, which the
   * caller ends (`member.end`), with what `run` returned.
   */
  async function attempt<R>(
    model: string,
    ctx: EngineContext,
    how: { session: boolean; skip?: number },
    run: (a: Attempt, options: CallOptions, started: () => void) => Promise<R>,
  ): Promise<{ a: Attempt; value: R }> {
    const session = how.session ? sessionOf(ctx) : undefined;
    const preferred = session === undefined ? -1 : (affinity.get(session) ?? -1);
    const ask: RouteAsk = { model: canonicalModel(model), preferred, tried: how.skip ?? 0, listedOnly: false };
    let last: ModelwireError | undefined;
    for (let attempts = 1; ; attempts++) {
      const a = await pick(ask, ctx, last);
      let sent = false;
      const started = () => {
        if (sent) return;
        sent = true;
        a.member.first(a);
        if (session !== undefined) affinity.set(session, a.member.index);
      };
      try {
        const value = await run(a, attemptOptions(a, ctx), started);
        started();
        return { a, value };
      } catch (e) {
        if (sent) throw midStream(a, e, ctx);
        last = retryOrThrow(a, e, ask, attempts, ctx);
      }
    }
  }

  /** Streams a call through the fleet (counted by {@link counter}): moved until its first chunk, never after. */
  async function* routed<T>(
    model: string,
    ctx: EngineContext,
    open: (client: InferenceClient, options: CallOptions) => AsyncIterable<T>,
  ): AsyncGenerator<T> {
    const { a, value } = await attempt(model, ctx, { session: true }, async (at, options) => {
      const it = open(at.member.client, options)[Symbol.asyncIterator]();
      return { it, r: await it.next() };
    });
    const { it } = value;
    let { r } = value;
    const m = a.member;
    try {
      while (!r.done) {
        a.waitingSince = undefined;
        yield r.value;
        a.waitingSince = now();
        r = await it.next();
        a.lastAt = now();
      }
      m.end(a);
    } catch (e) {
      throw midStream(a, e, ctx);
    } finally {
      // The consumer left early (or the stream failed): let the client release the upstream request.
      if (!a.ended) {
        m.end(a, undefined, "neutral");
        await it.return?.().catch(() => {});
      }
    }
  }

  /**
   * Ends an attempt that failed after the caller got something: the error the caller gets (`Unavailable`, never
   * retried), or the caller's own cancel, or the upstream's answer when it does not count as a failure.
   */
  function midStream(a: Attempt, e: unknown, ctx: EngineContext): unknown {
    const m = a.member;
    const err = a.cut ?? asError(e);
    const failure = failed(a, err, ctx);
    if (isAborted(ctx)) return abortReason(ctx.signal);
    if (!failure) return err;
    const stalled = err.metadata.reason === "upstream_stalled";
    return new ModelwireError(
      `upstream ${m.url} failed after the stream began (not retried: chunks were already sent): ${err.rawMessage}`,
      Code.Unavailable,
      { ...err.metadata, upstream: m.url, reason: stalled ? "upstream_stalled" : "upstream_failed_mid_stream" },
      err,
    );
  }

  /** A call relayed without parsing (the OpenAI API to each upstream's own `/v1`); see {@link FleetEngine.relay}. */
  function relay<T>(model: string, ctx: EngineContext, skip: number, run: RelayRun<T>): Promise<T> {
    return counter.unary(ctx, async () => {
      const { a, value } = await attempt(model, ctx, { session: true, skip }, (at, options, started) =>
        run(at.member, options, {
          sent: started,
          waiting(on) {
            at.waitingSince = on ? now() : undefined;
            if (!on) at.lastAt = now();
          },
        }),
      );
      a.member.end(a);
      return value;
    });
  }

  /** A unary call through the fleet (embed, show): routed and retried like a stream's first chunk. */
  function unary<T>(
    model: string,
    ctx: EngineContext,
    call: (client: InferenceClient, options: CallOptions) => Promise<T>,
  ): Promise<T> {
    return counter.unary(ctx, async () => {
      const { a, value } = await attempt(model, ctx, { session: false }, (at, options) =>
        call(at.member.client, options),
      );
      a.member.end(a);
      return value;
    });
  }

  /** Asks every upstream that is not out, in parallel; the answers that came, or the first error when none did. */
  async function fanOut<T>(ctx: EngineContext, call: (m: Member) => Promise<T>): Promise<Array<{ m: Member; v: T }>> {
    const t = now();
    const asked = members.filter((m) => m.breaker.availability(t) !== "down");
    const settled = await Promise.allSettled((asked.length > 0 ? asked : members).map(call));
    const got: Array<{ m: Member; v: T }> = [];
    let error: unknown;
    settled.forEach((s, i) => {
      if (s.status === "fulfilled") got.push({ m: (asked.length > 0 ? asked : members)[i], v: s.value });
      else error ??= s.reason;
    });
    if (got.length === 0) {
      if (isAborted(ctx)) throw abortReason(ctx.signal);
      const err = asError(error);
      throw new ModelwireError(`no upstream answered: ${err.rawMessage}`, err.code, err.metadata, err);
    }
    return got;
  }
  const callOptions = (ctx: EngineContext) => ({ signal: ctx.signal, deadline: ctx.deadline });

  const engine: FleetEngine = {
    members,
    generate: (req, ctx) =>
      counter.stream(
        ctx,
        () => routed(req.model, ctx, (c, o) => c.generate(req, o)),
        (c) => c.response,
      ),
    chat: (req, ctx) =>
      counter.stream(
        ctx,
        () => routed(req.model, ctx, (c, o) => c.chat(req, o)),
        (c) => c.message?.content ?? "",
      ),
    embed: (req, ctx) => unary(req.model, ctx, (c, o) => c.embed(req, o)),
    show: (req, ctx) => unary(req.model, ctx, (c, o) => c.show(req, o)),
    async list(ctx): Promise<ListModelsResponse> {
      const got = await fanOut(ctx, (m) => m.client.list(callOptions(ctx)));
      for (const { m, v } of got) m.setModels(v.models.map((x) => x.name || x.model));
      const first = got[0].v;
      const seen = new Set<string>();
      const models = got.flatMap(({ v }) => v.models).filter((x) => !seen.has(x.name) && !!seen.add(x.name));
      return { ...first, models };
    },
    async running(ctx): Promise<ListRunningResponse> {
      const got = await fanOut(ctx, (m) => m.client.running(callOptions(ctx)));
      return { ...got[0].v, models: got.flatMap(({ v }) => v.models) };
    },
    async version(ctx): Promise<VersionResponse> {
      const got = await fanOut(ctx, (m) => m.client.version(callOptions(ctx)));
      return got[0].v;
    },
    stats: counter.stats,
    resetStats: counter.reset,
    async close() {
      clearInterval(idleTimer);
      wake();
      await Promise.allSettled(members.map((m) => m.client.close()));
    },
    anyUp: () => members.some((m) => m.answered && m.breaker.state(now()) === "up"),
    probed(index, answered) {
      const m = members[index];
      if (!m) return;
      const wasKnown = m.answered;
      if (answered) m.answered = true;
      m.breaker.probe(answered, now());
      // Calls waiting for a first chunk move only when another upstream is up to take them (a check that timed out
      // on a loaded machine must not fail calls that would have been served).
      if (!answered)
        m.cutStalled(
          stalledMs,
          members.some((o) => o !== m && o.answered && o.breaker.state(now()) === "up"),
        );
      if (answered && !wasKnown) void m.refreshTags();
    },
    async refreshTags() {
      await Promise.allSettled(members.map((m) => m.refreshTags()));
    },
    setFirstChunkObserver(fn) {
      firstChunk = fn;
    },
    fleetStats: () => ({
      upstreams: members.map((m) => m.stats()),
      retries: totals.retries - window.retries,
      affinityHits: totals.affinityHits - window.affinityHits,
      waited: totals.waited - window.waited,
    }),
    totals: () => ({ ...totals }),
    resetWindow() {
      window = { ...totals };
      for (const m of members) m.resetWindow();
    },
    cutIdle,
    relay,
  };
  return engine;
}
