import type { Duration } from "@bufbuild/protobuf/wkt";
import type { SyntheticModel } from "./models.js";
import type { StreamModel } from "./token-stream.js";

/** Ollama's default `keep_alive`: five minutes (`OLLAMA_KEEP_ALIVE`). */
export const DEFAULT_KEEP_ALIVE_MS = 5 * 60_000;
/** Ollama's default context length when neither the request nor the model says otherwise. */
export const DEFAULT_CONTEXT_LENGTH = 4096;
/** What "forever" (a negative `keep_alive`) is, as Ollama has it: the largest Go duration, in ms. */
export const FOREVER_MS = 9_223_372_036_854.775;

/** One loaded model, as `/api/ps` reports it. */
export interface ResidentModel {
  model: SyntheticModel;
  /** Epoch ms when it unloads (now + keep-alive while in use, as Ollama estimates it). */
  expiresAt: number;
  /** The context length it was loaded with. */
  contextLength: number;
}

/** Which synthetic models are loaded, and for how long (a model's residency, as Ollama's scheduler keeps it). */
export interface Residency {
  /**
   * A {@link StreamModel} for one call to `model`: on acquire the model is marked in use and, when it is not
   * loaded (never, expired, unloaded, or loaded with another context length), loading starts and takes
   * `loadMs()`; on release its expiry is set from the call's keep-alive (0 unloads it once idle).
   */
  use(model: SyntheticModel, keepAliveMs: number, contextLength: number): StreamModel;
  /** Unloads `name` now, or once its calls in progress end. */
  unload(name: string): void;
  /** The models loaded now, the one expiring last first. */
  running(): ResidentModel[];
}

interface Entry {
  model: SyntheticModel;
  /** `performance.now()` when loading finishes. */
  readyAt: number;
  refs: number;
  keepAliveMs: number;
  /** Epoch ms when it unloads, once idle. */
  expiresAt: number;
  contextLength: number;
}

/** Creates the bookkeeping; `loadMs` is read at each load, so a reconfigured engine applies it to later loads. */
export function createResidency(loadMs: () => number): Residency {
  const loaded = new Map<string, Entry>();

  function live(name: string): Entry | undefined {
    const e = loaded.get(name);
    if (e && e.refs === 0 && e.expiresAt <= Date.now()) {
      loaded.delete(name);
      return undefined;
    }
    return e;
  }

  return {
    use(model, keepAliveMs, contextLength) {
      const name = model.name ?? "";
      let entry: Entry | undefined;
      return {
        acquire() {
          let e = live(name);
          if (!e || (e.refs === 0 && e.contextLength !== contextLength)) {
            e = {
              model,
              readyAt: performance.now() + loadMs(),
              refs: 0,
              keepAliveMs,
              expiresAt: Number.POSITIVE_INFINITY,
              contextLength,
            };
            loaded.set(name, e);
          }
          e.refs++;
          e.keepAliveMs = keepAliveMs;
          entry = e;
          return e.readyAt;
        },
        release() {
          const e = entry;
          if (!e) return;
          entry = undefined;
          e.refs--;
          if (e.refs > 0) return;
          if (e.keepAliveMs <= 0) {
            if (loaded.get(name) === e) loaded.delete(name);
          } else {
            e.expiresAt = Date.now() + e.keepAliveMs;
          }
        },
      };
    },
    unload(name) {
      const e = loaded.get(name);
      if (!e) return;
      if (e.refs > 0) e.keepAliveMs = 0;
      else loaded.delete(name);
    },
    running() {
      const now = Date.now();
      const out: ResidentModel[] = [];
      for (const name of [...loaded.keys()]) {
        const e = live(name);
        if (!e) continue;
        out.push({
          model: e.model,
          expiresAt: e.refs > 0 ? now + e.keepAliveMs : e.expiresAt,
          contextLength: e.contextLength,
        });
      }
      return out.sort((a, b) => b.expiresAt - a.expiresAt);
    },
  };
}

/** A request's `keep_alive` in ms: the default when absent, {@link FOREVER_MS} when negative. */
export function keepAliveMs(d: Duration | undefined, fallback: number): number {
  if (d === undefined) return fallback;
  if (d.seconds < 0n || d.nanos < 0) return FOREVER_MS;
  return Number(d.seconds) * 1000 + d.nanos / 1e6;
}
