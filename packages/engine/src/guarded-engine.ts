import { abortReason, type Engine, type EngineContext, isAborted, streamEndHook } from "@modelwire/core";
import type { Admission } from "./admission.js";

/**
 * A slot of `admission` for the call behind `ctx`: the release function at once when a slot is free — without
 * reading `ctx.signal`, which on a lazy context (`createEngineContext`) would create the AbortController the server
 * avoided (about a microsecond) — or else a promise that waits in the bounded queue with the signal, so it stops
 * waiting when the caller goes away (or rejects at once with `ResourceExhausted` when the queue is full).
 */
function take(admission: Admission, ctx: EngineContext): (() => void) | Promise<() => void> {
  if (isAborted(ctx)) return Promise.reject(abortReason(ctx.signal));
  return admission.tryAcquire() ?? admission.acquire(ctx.signal);
}

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * `open()`'s stream behind a slot of `admission`: the slot is taken on the first `next()` (a refusal is that call's
 * rejection, before any chunk) and released once the stream ends in any way — its last result, an error (the
 * engine's, or `open()` throwing), or the consumer's `return()` (a `break` out of `for await`; a `return()` while
 * the call still waits for its slot gives the slot back the moment it arrives, without calling the engine). When the
 * engine's stream offers an end hook (`ON_STREAM_END`, as the synthetic engine's does) the slot is released from it
 * and every later `next()` returns the engine's own promise; otherwise each chunk passes through one `then` (never
 * through an async generator of our own).
 */
function guardedStream<T>(admission: Admission, ctx: EngineContext, open: () => AsyncIterable<T>): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      let inner: AsyncIterator<T> | undefined;
      let release: (() => void) | undefined;
      let over = false;
      /** The engine's stream reports its own end: its results are handed through as they are. */
      let hooked = false;
      const finish = () => {
        if (over) return;
        over = true;
        release?.();
      };
      const onResult = (r: IteratorResult<T>): IteratorResult<T> => {
        if (r.done) finish();
        return r;
      };
      const onError = (e: unknown): never => {
        finish();
        throw e;
      };
      const begin = (r: () => void): Promise<IteratorResult<T>> => {
        if (over) {
          r();
          return Promise.resolve(DONE);
        }
        release = r;
        try {
          inner = open()[Symbol.asyncIterator]();
          const hook = streamEndHook(inner);
          if (hook === undefined) return inner.next().then(onResult, onError);
          hooked = true;
          hook(finish);
          return inner.next();
        } catch (e) {
          finish();
          return Promise.reject(e);
        }
      };
      const refused = (e: unknown): never => {
        over = true;
        throw e;
      };
      return {
        next(): Promise<IteratorResult<T>> {
          if (over) return Promise.resolve(DONE);
          if (inner !== undefined) return hooked ? inner.next() : inner.next().then(onResult, onError);
          const got = take(admission, ctx);
          return typeof got === "function" ? begin(got) : got.then(begin, refused);
        },
        return(): Promise<IteratorResult<T>> {
          const it = inner;
          if (over || it?.return === undefined) {
            finish();
            return Promise.resolve(DONE);
          }
          return it.return().finally(finish);
        },
      };
    },
  };
}

/**
 * Wraps an engine so every streaming call (generate, chat) and embed first takes a slot of `admission`. A refused
 * call throws `ResourceExhausted` from the stream's first `next()` (or the promise), before any chunk. The slot is
 * released when the stream ends in any way. Listing, show and version are not limited: they are cheap and keep a
 * busy server observable. A call that finds a slot free never reads `ctx.signal` (see {@link EngineContext.aborted}):
 * only one that has to wait does.
 */
export function guardEngine(engine: Engine, admission: Admission): Engine {
  return {
    ...engine,
    generate: (req, ctx) => guardedStream(admission, ctx, () => engine.generate(req, ctx)),
    chat: (req, ctx) => guardedStream(admission, ctx, () => engine.chat(req, ctx)),
    async embed(req, ctx) {
      const got = take(admission, ctx);
      const release = typeof got === "function" ? got : await got;
      try {
        return await engine.embed(req, ctx);
      } finally {
        release();
      }
    },
    list: (ctx) => engine.list(ctx),
    running: (ctx) => engine.running(ctx),
    show: (req, ctx) => engine.show(req, ctx),
    version: (ctx) => engine.version(ctx),
    stats: () => engine.stats(),
    resetStats: () => engine.resetStats(),
    close: () => engine.close(),
  };
}
