import type { Admission } from "./admission.js";
import type { Engine, EngineContext } from "./engine.js";

/**
 * Wraps an engine so every streaming call (generate, chat) and embed first takes a slot of `admission`. A refused
 * call throws `ResourceExhausted` from the stream's first `next()` (or the promise), before any chunk. The slot is
 * released when the stream ends in any way. Listing, show and version are not limited: they are cheap and keep a
 * busy server observable.
 */
export function guardEngine(engine: Engine, admission: Admission): Engine {
  async function* guarded<T>(ctx: EngineContext, open: () => AsyncIterable<T>): AsyncGenerator<T> {
    const release = await admission.acquire(ctx.signal);
    try {
      yield* open();
    } finally {
      release();
    }
  }
  return {
    ...engine,
    generate: (req, ctx) => guarded(ctx, () => engine.generate(req, ctx)),
    chat: (req, ctx) => guarded(ctx, () => engine.chat(req, ctx)),
    async embed(req, ctx) {
      const release = await admission.acquire(ctx.signal);
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
