import { Code, ModelwireError } from "@modelwire/core";
import type { Engine } from "@modelwire/engine";

/**
 * Wraps an engine so that, once `draining()` turns true, new streams and embeds are refused with `Unavailable`
 * ("server shutting down") on every protocol, even on connections that stay open while in-flight streams finish.
 * Streams already started are untouched. Cheap calls (list, show, version) keep working.
 */
export function drainingEngine(engine: Engine, draining: () => boolean): Engine {
  const refuse = () => new ModelwireError("server shutting down", Code.Unavailable, { reason: "draining" });
  // A stream that fails on its first next(), as a refused stream does on every protocol.
  const refused = <T>(): AsyncIterable<T> => ({
    [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(refuse()) }),
  });
  return {
    ...engine,
    generate: (req, ctx) => (draining() ? refused() : engine.generate(req, ctx)),
    chat: (req, ctx) => (draining() ? refused() : engine.chat(req, ctx)),
    embed: (req, ctx) => (draining() ? Promise.reject(refuse()) : engine.embed(req, ctx)),
    list: (ctx) => engine.list(ctx),
    running: (ctx) => engine.running(ctx),
    show: (req, ctx) => engine.show(req, ctx),
    version: (ctx) => engine.version(ctx),
    stats: () => engine.stats(),
    resetStats: () => engine.resetStats(),
    close: () => engine.close(),
  };
}
