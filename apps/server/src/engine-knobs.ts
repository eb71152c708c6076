import { Code, ModelwireError } from "@modelwire/core";
import type { SyntheticEngine, SyntheticEngineOptions } from "@modelwire/engine";

// The synthetic engine's knobs as the admin listener reads (`/control/stats`) and changes (`/control/engine`) them.

/** The synthetic engine knobs the control endpoint reads and changes. */
export interface SyntheticKnobs {
  ttftMs: number;
  interTokenMs: number;
  tokens: number;
  jitter: number;
  seed: number;
  loadMs: number;
}

/** The knobs `engine` runs with, as `/control/stats` reports them. */
export function knobs(engine: SyntheticEngine): SyntheticKnobs {
  const c = engine.config;
  return {
    ttftMs: c.ttftMs,
    interTokenMs: c.interTokenMs,
    tokens: c.tokens,
    jitter: c.jitter,
    seed: c.seed,
    loadMs: c.loadMs,
  };
}

const KNOB_FIELDS = ["ttftMs", "interTokenMs", "tokens", "jitter", "seed", "loadMs"] as const;

/** Validates a `/control/engine` body: an object with only known numeric knobs. */
export function parseKnobs(body: unknown): SyntheticEngineOptions {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ModelwireError("body must be a JSON object of engine knobs", Code.InvalidArgument, { field: "body" });
  }
  const out: SyntheticEngineOptions = {};
  for (const [k, v] of Object.entries(body)) {
    if (!(KNOB_FIELDS as readonly string[]).includes(k)) {
      throw new ModelwireError(
        `unknown engine knob "${k.slice(0, 64)}" (expected ${KNOB_FIELDS.join(", ")})`,
        Code.InvalidArgument,
        {
          field: k.slice(0, 64),
        },
      );
    }
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new ModelwireError(`${k} must be a finite number`, Code.InvalidArgument, { field: k });
    }
    out[k as (typeof KNOB_FIELDS)[number]] = v;
  }
  return out;
}
