import type { Engine, EngineContext, EngineStats } from "@modelwire/core";
import { type ClientStats, type InferenceClient, ModelwireError } from "@modelwire/core";

/** An engine that forwards every call to an {@link InferenceClient}, e.g. a real Ollama behind the HTTP client. */
export interface UpstreamEngine extends Engine {
  /** The upstream client's connection/pool figures. */
  upstreamStats(): ClientStats;
}

/**
 * Wraps a client as an {@link Engine}: how `modelwire serve --upstream` puts a stock Ollama behind MCP and gRPC.
 * Streams pass through chunk by chunk; the server's cancel and deadline reach the upstream call through the
 * context's signal and deadline.
 */
export function createUpstreamEngine(client: InferenceClient): UpstreamEngine {
  const stats: EngineStats = { requests: 0, inFlight: 0, tokens: 0, cancelled: 0, errors: 0 };
  const call = (ctx: EngineContext) => ({ signal: ctx.signal, deadline: ctx.deadline });

  /**
   * One upstream stream, counted. A consumer that stops pulling before the final chunk (the generator's `return()`,
   * which runs only the `finally`) counts as a cancellation, as a failure with the signal fired does.
   */
  async function* pass<T extends { done: boolean }>(
    source: AsyncIterable<T>,
    ctx: EngineContext,
    text: (c: T) => string,
  ): AsyncGenerator<T> {
    stats.requests++;
    stats.inFlight++;
    let over = false;
    try {
      for await (const chunk of source) {
        if (text(chunk).length > 0) stats.tokens++;
        if (chunk.done) over = true;
        yield chunk;
      }
      over = true;
    } catch (e) {
      over = true;
      if (ctx.signal.aborted) stats.cancelled++;
      else stats.errors++;
      throw ModelwireError.from(e);
    } finally {
      if (!over) stats.cancelled++;
      stats.inFlight--;
    }
  }

  async function unary<T>(ctx: EngineContext, fn: () => Promise<T>): Promise<T> {
    stats.requests++;
    stats.inFlight++;
    try {
      return await fn();
    } catch (e) {
      if (ctx.signal.aborted) stats.cancelled++;
      else stats.errors++;
      throw ModelwireError.from(e);
    } finally {
      stats.inFlight--;
    }
  }

  return {
    generate: (req, ctx) => pass(client.generate(req, call(ctx)), ctx, (c) => c.response),
    chat: (req, ctx) => pass(client.chat(req, call(ctx)), ctx, (c) => c.message?.content ?? ""),
    embed: (req, ctx) => unary(ctx, () => client.embed(req, call(ctx))),
    list: (ctx) => unary(ctx, () => client.list(call(ctx))),
    running: (ctx) => unary(ctx, () => client.running(call(ctx))),
    show: (req, ctx) => unary(ctx, () => client.show(req, call(ctx))),
    version: (ctx) => unary(ctx, () => client.version(call(ctx))),
    stats: () => ({ ...stats }),
    resetStats() {
      stats.requests = 0;
      stats.tokens = 0;
      stats.cancelled = 0;
      stats.errors = 0;
    },
    upstreamStats: () => client.stats(),
    close: () => client.close(),
  };
}
