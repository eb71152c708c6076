import type { ClientStats, Engine, EngineContext, InferenceClient } from "@modelwire/core";
import { createCallCounter } from "./call-counter.js";

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
  const counter = createCallCounter();
  const call = (ctx: EngineContext) => ({ signal: ctx.signal, deadline: ctx.deadline });
  const { stream, unary } = counter;

  return {
    generate: (req, ctx) =>
      stream(
        ctx,
        () => client.generate(req, call(ctx)),
        (c) => c.response,
      ),
    chat: (req, ctx) =>
      stream(
        ctx,
        () => client.chat(req, call(ctx)),
        (c) => c.message?.content ?? "",
      ),
    embed: (req, ctx) => unary(ctx, () => client.embed(req, call(ctx))),
    list: (ctx) => unary(ctx, () => client.list(call(ctx))),
    running: (ctx) => unary(ctx, () => client.running(call(ctx))),
    show: (req, ctx) => unary(ctx, () => client.show(req, call(ctx))),
    version: (ctx) => unary(ctx, () => client.version(call(ctx))),
    stats: counter.stats,
    resetStats: counter.reset,
    upstreamStats: () => client.stats(),
    close: () => client.close(),
  };
}
