import { create, type MessageInitShape } from "@bufbuild/protobuf";
import type { DurationSchema } from "@bufbuild/protobuf/wkt";
import { GenerateRequestSchema, ModelwireError } from "@modelwire/core";
import { backgroundContext, type Engine } from "@modelwire/engine";

/** A keep_alive as the contract carries it. */
export type KeepAlive = MessageInitShape<typeof DurationSchema>;

/**
 * Wraps `engine` so generate, chat and embed calls that set no `keep_alive` carry `keepAlive` (the gateway's
 * `--keep-alive`): the synthetic engine keeps the model resident that long, an upstream Ollama gets it forwarded.
 */
export function withDefaultKeepAlive(engine: Engine, keepAlive: KeepAlive): Engine {
  const d = { seconds: BigInt(keepAlive.seconds ?? 0n), nanos: keepAlive.nanos ?? 0 };
  const fill = <T extends { keepAlive?: unknown }>(req: T): T =>
    req.keepAlive === undefined
      ? { ...req, keepAlive: { $typeName: "google.protobuf.Duration", seconds: d.seconds, nanos: d.nanos } }
      : req;
  return {
    ...engine,
    generate: (req, ctx) => engine.generate(fill(req), ctx),
    chat: (req, ctx) => engine.chat(fill(req), ctx),
    embed: (req, ctx) => engine.embed(fill(req), ctx),
  };
}

/** How one preload went. */
export interface PreloadOutcome {
  model: string;
  ms: number;
  /** The engine's `load_duration` for it, ms (0 for an engine that has no load time). */
  loadMs: number;
  error?: ModelwireError;
}

/**
 * Loads each model with Ollama's load call — a generate with an empty prompt and the keep_alive — one after the
 * other (a real Ollama loads one model at a time anyway). Never throws: each failure is in its outcome.
 */
export async function preloadModels(
  engine: Engine,
  models: readonly string[],
  keepAlive: KeepAlive | undefined,
): Promise<PreloadOutcome[]> {
  const out: PreloadOutcome[] = [];
  for (const model of models) {
    const t0 = performance.now();
    let loadNs = 0n;
    try {
      const req = create(GenerateRequestSchema, { model, prompt: "", ...(keepAlive ? { keepAlive } : {}) });
      for await (const chunk of engine.generate(req, backgroundContext())) {
        if (chunk.done) loadNs = chunk.metrics?.loadDuration ?? 0n;
      }
      out.push({ model, ms: performance.now() - t0, loadMs: Number(loadNs) / 1e6 });
    } catch (e) {
      out.push({ model, ms: performance.now() - t0, loadMs: 0, error: ModelwireError.from(e) });
    }
  }
  return out;
}
