import { Code, ModelwireError } from "@modelwire/core";
import type { Engine } from "@modelwire/engine";

/** Resolves when `signal` fires, with its reason thrown (an engine call that only ends by cancel or deadline). */
export function waitForAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

/** Records the abort reasons that reached an engine's calls. */
export interface AbortLog {
  reasons: unknown[];
}

/**
 * Wraps an engine so `version` and `show` hang until their signal fires (recording the reason), to test deadlines
 * and cancels on unary calls.
 */
export function hangingUnaryEngine(engine: Engine, log: AbortLog): Engine {
  const hang = (signal: AbortSignal) =>
    waitForAbort(signal).catch((e) => {
      log.reasons.push(e);
      throw e;
    });
  return { ...engine, version: (ctx) => hang(ctx.signal), show: (_req, ctx) => hang(ctx.signal) };
}

/** Wraps an engine so the first `failures` calls of version and generate fail with UNAVAILABLE. */
export function flakyEngine(
  engine: Engine,
  failures: number,
): Engine & { attempts: { version: number; generate: number } } {
  const attempts = { version: 0, generate: 0 };
  const unavailable = () => new ModelwireError("try again later", Code.Unavailable);
  return {
    ...engine,
    attempts,
    version(ctx) {
      attempts.version++;
      if (attempts.version <= failures) return Promise.reject(unavailable());
      return engine.version(ctx);
    },
    generate(req, ctx) {
      attempts.generate++;
      if (attempts.generate <= failures) throw unavailable();
      return engine.generate(req, ctx);
    },
  };
}
