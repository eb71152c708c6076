/**
 * The synthetic engine's knobs: {@link SyntheticEngineOptions} as callers set them, their defaults, and the
 * validation that turns them into a {@link SyntheticEngineConfig} (every field set, each within
 * {@link SYNTHETIC_LIMITS}). Pure.
 *
 * @module
 */

import { invalidArgument } from "@modelwire/core";
import { SYNTHETIC_LIMITS } from "./limits.js";
import { DEFAULT_MODELS, type SyntheticModel } from "./models.js";
import { DEFAULT_KEEP_ALIVE_MS } from "./residency.js";

/** The synthetic engine's knobs. All delays are milliseconds. */
export interface SyntheticEngineOptions {
  /** Server-wide seed; output is a pure function of (seed, model, prompt, options.seed). Default 42. */
  seed?: number;
  /** Prompt-evaluation delay before the first token (time to first token). Default 0, at most one hour. */
  ttftMs?: number;
  /** Delay between consecutive tokens. Default 0, at most one hour. The bounds are {@link SYNTHETIC_LIMITS}. */
  interTokenMs?: number;
  /** Tokens produced when the request sets no positive `num_predict`. Default 16. */
  tokens?: number;
  /** Relative jitter of each delay, in [0, 1): a delay d becomes d × (1 ± jitter), seeded. Default 0. */
  jitter?: number;
  /** Upper bound on tokens for one request, whatever `num_predict` asks. Default 1,000,000. */
  maxTokens?: number;
  /** Embedding dimensions when the request sets none. Default 384. */
  embedDimensions?: number;
  /**
   * Time to load a model that is not loaded (never used, unloaded by `keep_alive: 0`, or expired), ms: the first
   * call pays it and reports it as `load_duration`. Default 0, at most one hour.
   */
  loadMs?: number;
  /** How long a model stays loaded after its last call when the request sets no `keep_alive`, ms. Default 5 min. */
  keepAliveMs?: number;
  /** Models served. Default: {@link DEFAULT_MODELS}. */
  models?: readonly SyntheticModel[];
  /** The version string `/api/version` reports. */
  version?: string;
}

/** The resolved knobs (every field set). */
export type SyntheticEngineConfig = Required<SyntheticEngineOptions>;

/** Resolves and validates knobs; throws `InvalidArgument` naming the field. */
export function resolveSyntheticConfig(
  options: SyntheticEngineOptions = {},
  base?: SyntheticEngineConfig,
): SyntheticEngineConfig {
  const c: SyntheticEngineConfig = {
    seed: 42,
    ttftMs: 0,
    interTokenMs: 0,
    tokens: 16,
    jitter: 0,
    maxTokens: 1_000_000,
    embedDimensions: 384,
    loadMs: 0,
    keepAliveMs: DEFAULT_KEEP_ALIVE_MS,
    models: DEFAULT_MODELS,
    version: "0.12.0-modelwire",
    ...base,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  };
  const bounded = (field: keyof typeof SYNTHETIC_LIMITS, integer = false) => {
    const v = c[field] as number;
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || (integer && !Number.isInteger(v))) {
      throw invalidArgument(field, `${field} must be a non-negative ${integer ? "integer" : "number"}, got ${v}`);
    }
    const max = SYNTHETIC_LIMITS[field];
    if (field === "jitter" ? v >= max : v > max) {
      throw invalidArgument(field, `${field} must be ${field === "jitter" ? "below" : "at most"} ${max}, got ${v}`);
    }
  };
  bounded("ttftMs");
  bounded("interTokenMs");
  bounded("tokens", true);
  bounded("maxTokens", true);
  bounded("seed", true);
  bounded("jitter");
  bounded("embedDimensions", true);
  bounded("loadMs");
  if (typeof c.keepAliveMs !== "number" || Number.isNaN(c.keepAliveMs) || c.keepAliveMs < 0) {
    throw invalidArgument("keepAliveMs", `keepAliveMs must be a non-negative number, got ${c.keepAliveMs}`);
  }
  if (c.embedDimensions < 1) throw invalidArgument("embedDimensions", "embedDimensions must be at least 1");
  return c;
}
