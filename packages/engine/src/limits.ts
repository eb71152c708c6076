/**
 * The documented upper bound of every synthetic engine knob (docs/serve.md). A value above it is an
 * `InvalidArgument` naming the knob, whether it comes from an option, the config file or `POST /control/engine`.
 * The delay bounds keep every engine timer far below Node's timer limit ({@link MAX_TIMER_MS}): the longest single
 * wait is a delay with full jitter, 2 × 3,600,000 ms.
 */
export const SYNTHETIC_LIMITS = {
  /** Time to first token, ms (one hour). */
  ttftMs: 3_600_000,
  /** Delay between tokens, ms (one hour). */
  interTokenMs: 3_600_000,
  /** Tokens per reply when the request sets no `num_predict`. */
  tokens: 1_000_000,
  /** The cap on tokens for one request, whatever `num_predict` asks. */
  maxTokens: 1_000_000,
  /** Relative jitter; the bound is exclusive (jitter < 1). */
  jitter: 1,
  /** Seed: an unsigned 32-bit integer. */
  seed: 2 ** 32 - 1,
  /** Time to load a model that is not loaded, ms (one hour). */
  loadMs: 3_600_000,
  /** Embedding dimensions when the request sets none. */
  embedDimensions: 65_536,
} as const;

/** The longest delay Node's `setTimeout` honours (2³¹−1 ms); a longer one fires after 1 ms with a warning. */
export { MAX_TIMER_MS } from "@modelwire/core";
