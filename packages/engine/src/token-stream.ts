import {
  abortReason,
  type EngineContext,
  type EngineStats,
  isAborted,
  type Metrics,
  newMetrics,
  ON_STREAM_END,
  type StreamEndHook,
} from "@modelwire/core";
import { createPrng, hash32 } from "./prng.js";
import type { ReplySource } from "./reply-source.js";
import { sleepUntil, yieldToEventLoop } from "./sleep.js";

/** The delays a stream follows (milliseconds), from the synthetic engine's knobs. */
export interface StreamTiming {
  ttftMs: number;
  interTokenMs: number;
  jitter: number;
  seed: number;
}

/** How a stream takes and gives back its model (the engine's residency bookkeeping). */
export interface StreamModel {
  /**
   * Called once, when the stream starts: marks the model in use and returns the `performance.now()` time at which
   * it is loaded (in the past when it already is).
   */
  acquire(): number;
  /** Called once, when the stream ends in any way after {@link StreamModel.acquire}. */
  release(): void;
}

const DONE: IteratorResult<never> = Object.freeze({ done: true, value: undefined });
const ZERO_DELAY_YIELD_EVERY = 64;

const ST_NEW = 0;
const ST_TOKENS = 1;
const ST_FINAL_SENT = 2;
const ST_DONE = 3;

/**
 * One synthetic stream as a hand-written async iterator (no generator layers): a step that needs no wait (the
 * zero-delay path) resolves at once; a step that waits awaits the schedule. Steps run one at a time, as
 * `for await` calls them.
 *
 * The schedule is absolute: the model is loaded (if it was not), then generated token `k` is due at
 * `ttft + k × interToken` after that (each delay jittered), and a chunk is sent when the token it belongs to is
 * due (see `ReplySource.at`); the final chunk comes with the last generated token. Every duration the final
 * chunk reports is measured on `performance.now()`. Chunks come from the reply's source one at a time, as they are
 * due: the stream holds the next chunk at most, never the whole reply.
 */
export class TokenStream<T> implements AsyncIterableIterator<T>, StreamEndHook {
  private state = ST_NEW;
  private onEnd: (() => void) | undefined;
  private i = 0;
  /** Whether the source's next chunk was pulled (`hasChunk` says if there was one) and not yet emitted. */
  private pulled = false;
  private hasChunk = false;
  private step = 0;
  private start = 0;
  private target = 0;
  /** Whether `target` was seen in the past (set only when no wait was needed for it). */
  private passed = false;
  private loadDone = 0;
  private promptDone = 0;
  private readonly zeroDelay: boolean;
  private readonly jitter: ReturnType<typeof createPrng> | undefined;

  constructor(
    private readonly timing: StreamTiming,
    private readonly stats: EngineStats,
    private readonly source: ReplySource,
    promptText: string,
    private readonly promptTokens: number,
    private readonly ctx: EngineContext,
    private readonly model: StreamModel,
    private readonly chunk: (text: string, thinking: boolean) => T,
    private readonly final: (reason: string, metrics: Metrics | undefined) => T,
  ) {
    this.zeroDelay = timing.ttftMs === 0 && timing.interTokenMs === 0;
    this.jitter = timing.jitter > 0 ? createPrng(hash32(timing.seed, promptText, "jitter")) : undefined;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  /** Calls `fn` once when the stream ends in any way, or now if it has (see `ON_STREAM_END` in @modelwire/core). */
  [ON_STREAM_END](fn: () => void): void {
    if (this.state === ST_DONE) fn();
    else this.onEnd = fn;
  }

  /** Marks the stream over and calls the end hook (once). */
  private over(): void {
    this.state = ST_DONE;
    const fn = this.onEnd;
    this.onEnd = undefined;
    fn?.();
  }

  private jittered(d: number): number {
    const j = this.jitter;
    return j && d > 0 ? d * (1 + this.timing.jitter * (2 * j.next() - 1)) : d;
  }

  /** Pulls the next chunk from the source (once per item); the final chunk is next when there is none. */
  private pull(): void {
    if (this.pulled) return;
    this.hasChunk = this.source.next();
    this.pulled = true;
  }

  /** The generated token after which the next item is sent (the final chunk: the last generated token). */
  private nextStep(): number {
    this.pull();
    return this.hasChunk ? this.source.at : Math.max(0, this.source.evalCount - 1);
  }

  next(): Promise<IteratorResult<T>> {
    if (this.state === ST_DONE) return Promise.resolve(DONE);
    try {
      if (this.state === ST_FINAL_SENT) {
        this.finish();
        return Promise.resolve(DONE);
      }
      if (this.state === ST_NEW) return this.begin();
      return this.advance();
    } catch (e) {
      return this.fail(e);
    }
  }

  /** Waits until the next item's token is due, then emits it. */
  private advance(): Promise<IteratorResult<T>> {
    let wait: Promise<void> | undefined;
    const due = this.nextStep();
    if (due > this.step) {
      const d = this.timing.interTokenMs;
      if (d === 0 && this.passed) {
        // No gap between tokens: the target does not move (a zero delay is never jittered) and has passed already,
        // so there is nothing to wait for and no clock to read.
        this.step = due;
      } else {
        while (this.step < due) {
          this.target += this.jittered(d);
          this.step++;
        }
        wait = this.waitUntil(this.target);
        this.passed = wait === undefined;
      }
      if (!wait && this.zeroDelay && this.i % ZERO_DELAY_YIELD_EVERY === 0) wait = yieldToEventLoop();
    }
    if (wait) return wait.then(() => this.emit()).catch((e) => this.fail(e));
    return Promise.resolve(this.emit());
  }

  private begin(): Promise<IteratorResult<T>> {
    this.state = ST_TOKENS;
    this.stats.requests++;
    this.stats.inFlight++;
    this.start = performance.now();
    const loaded = this.model.acquire();
    const load = this.waitUntil(loaded);
    if (load) {
      return load
        .then(() => {
          this.loadDone = performance.now();
          return this.evaluatePrompt();
        })
        .catch((e) => this.fail(e));
    }
    this.loadDone = this.start;
    return this.evaluatePrompt();
  }

  private evaluatePrompt(): Promise<IteratorResult<T>> {
    if (this.source.kind !== "reply") return Promise.resolve(this.emit());
    this.target = this.loadDone + this.jittered(this.timing.ttftMs);
    const wait = this.waitUntil(this.target);
    if (wait) return wait.then(() => this.afterPrompt()).catch((e) => this.fail(e));
    return Promise.resolve(this.afterPrompt());
  }

  /** A wait until `target` (ms), or `undefined` when it has passed: the signal is only touched to wait. */
  private waitUntil(target: number): Promise<void> | undefined {
    return target > performance.now() ? sleepUntil(target, this.ctx.signal) : undefined;
  }

  private afterPrompt(): Promise<IteratorResult<T>> {
    this.promptDone = performance.now();
    return this.advance();
  }

  /** Produces the next chunk or the final chunk; throws the signal's reason once it fired. */
  private emit(): IteratorResult<T> {
    if (this.state === ST_DONE) return DONE; // returned while a wait was pending
    if (isAborted(this.ctx)) throw abortReason(this.ctx.signal);
    this.pull();
    const source = this.source;
    if (this.hasChunk) {
      this.pulled = false;
      this.i++;
      const thinking = source.thinking;
      if (!thinking) this.stats.tokens++;
      return { done: false, value: this.chunk(source.text, thinking) };
    }
    this.state = ST_FINAL_SENT;
    if (source.kind !== "reply") return { done: false, value: this.final(source.kind, undefined) };
    const end = performance.now();
    return {
      done: false,
      value: this.final(
        source.doneReason,
        newMetrics(
          msToNs(end - this.start),
          msToNs(this.loadDone - this.start),
          this.promptTokens,
          msToNs(this.promptDone - this.loadDone),
          source.evalCount,
          msToNs(end - this.promptDone),
        ),
      ),
    };
  }

  private finish(): void {
    if (this.state === ST_DONE) return;
    const started = this.state !== ST_NEW;
    if (started) {
      this.stats.inFlight--;
      this.model.release();
    }
    this.over();
  }

  private fail(e: unknown): Promise<never> {
    if (this.state !== ST_DONE) {
      if (isAborted(this.ctx)) this.stats.cancelled++;
      else this.stats.errors++;
      this.finish();
    }
    return Promise.reject(e);
  }

  /**
   * The consumer ends the stream. Before the final chunk was handed over that is a cancellation, counted as one
   * whether or not the call's signal fired yet: a server that stops pulling because its client went away (a
   * destroyed socket seen while writing, a CANCEL frame, a reset HTTP/2 stream) may do so while no `next()` is
   * pending, so the engine never sees the signal itself. After the final chunk it is the normal end.
   */
  return(): Promise<IteratorResult<T>> {
    if (this.state === ST_TOKENS) this.stats.cancelled++;
    this.finish();
    return Promise.resolve(DONE);
  }

  throw(e?: unknown): Promise<IteratorResult<T>> {
    if (this.state === ST_NEW) {
      this.over();
      return Promise.reject(e);
    }
    return this.fail(e);
  }
}

/** Milliseconds to whole nanoseconds (never negative). */
export function msToNs(ms: number): bigint {
  return BigInt(Math.max(0, Math.round(ms * 1e6)));
}
