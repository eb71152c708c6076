import { type EngineContext, type EngineStats, isAborted, ModelwireError } from "@modelwire/core";

/**
 * The {@link EngineStats} of an engine that wraps others (the upstream engine, the fleet engine), and the one way a
 * call through it is counted, so every wrapper counts an ended call the same way.
 */
export interface CallCounter {
  /** A copy of the counters. */
  stats(): EngineStats;
  /** Zeroes every counter but `inFlight` (a new stats window). */
  reset(): void;
  /**
   * One streamed call, counted: a request and in flight until it ends, a token per chunk with text, and how it ended.
   * A failure counts as cancelled when the call was aborted (signal or deadline) and as an error otherwise; a
   * consumer that stops pulling before the final chunk (`done`) counts as cancelled too. That `return()` runs only the
   * generator's `finally`, and a server that saw its client go while writing calls it with no `next()` pending, so
   * the source never sees a signal. Stopping after the final chunk is the normal end. `open` is called on the first
   * `next()`, so what it throws is counted as well.
   */
  stream<T extends { done: boolean }>(
    ctx: EngineContext,
    open: () => AsyncIterable<T>,
    text: (chunk: T) => string,
  ): AsyncGenerator<T>;
  /** One unary call, counted the same way (the reply is its final chunk). */
  unary<T>(ctx: EngineContext, run: () => Promise<T>): Promise<T>;
}

/** Creates a {@link CallCounter} with every counter at zero. */
export function createCallCounter(): CallCounter {
  const stats: EngineStats = { requests: 0, inFlight: 0, tokens: 0, cancelled: 0, errors: 0 };
  const failed = (ctx: EngineContext, e: unknown): ModelwireError => {
    if (isAborted(ctx)) stats.cancelled++;
    else stats.errors++;
    return ModelwireError.from(e);
  };

  async function* stream<T extends { done: boolean }>(
    ctx: EngineContext,
    open: () => AsyncIterable<T>,
    text: (chunk: T) => string,
  ): AsyncGenerator<T> {
    stats.requests++;
    stats.inFlight++;
    let over = false;
    try {
      for await (const chunk of open()) {
        if (text(chunk).length > 0) stats.tokens++;
        if (chunk.done) over = true;
        yield chunk;
      }
      over = true;
    } catch (e) {
      over = true;
      throw failed(ctx, e);
    } finally {
      if (!over) stats.cancelled++;
      stats.inFlight--;
    }
  }

  async function unary<T>(ctx: EngineContext, run: () => Promise<T>): Promise<T> {
    stats.requests++;
    stats.inFlight++;
    try {
      return await run();
    } catch (e) {
      throw failed(ctx, e);
    } finally {
      stats.inFlight--;
    }
  }

  return {
    stats: () => ({ ...stats }),
    reset() {
      stats.requests = 0;
      stats.tokens = 0;
      stats.cancelled = 0;
      stats.errors = 0;
    },
    stream,
    unary,
  };
}
