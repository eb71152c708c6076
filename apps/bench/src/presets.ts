import type { Scenario } from "./result.js";
import { DEFAULT_WORKLOAD, type Workload } from "./workload.js";

/** A realistic local-model engine: 25 ms to the first token, then 8 ms per token, 32 tokens, ±10 % jitter. */
export const REALISTIC_WORKLOAD: Workload = {
  ...DEFAULT_WORKLOAD,
  outputTokens: 32,
  engine: { ttftMs: 25, interTokenMs: 8, jitter: 0.1, seed: 42 },
};

/** Names of the built-in presets. */
export const PRESET_NAMES = ["protocol-overhead", "low", "normal", "peak", "burst", "target"] as const;
/** One of {@link PRESET_NAMES}. */
export type PresetName = (typeof PRESET_NAMES)[number];

/** Timing every preset shares unless overridden. */
export interface PresetTiming {
  durationMs: number;
  warmupMs: number;
  maxRequests: number;
}

const DEFAULT_TIMING: PresetTiming = { durationMs: 5000, warmupMs: 1000, maxRequests: 1_000_000 };

/**
 * The built-in scenarios: `protocol-overhead` (zero-delay engine, 16 streams: pure protocol cost) and the
 * article's load levels `low`/`normal`/`peak`/`burst` (50 / 200 / 800 / 1200 concurrent streams on the realistic
 * engine), and `target`, the default against a server the bench did not start (8 streams, 64 tokens).
 */
export function presetScenario(name: PresetName, timing: Partial<PresetTiming> = {}): Scenario {
  const t = { ...DEFAULT_TIMING, ...timing };
  const realistic = (streams: number, label: string): Scenario => ({
    name,
    description: `${label}: ${streams} concurrent streams, engine TTFT ${REALISTIC_WORKLOAD.engine.ttftMs} ms + ${REALISTIC_WORKLOAD.engine.interTokenMs} ms/token × ${REALISTIC_WORKLOAD.outputTokens} tokens`,
    workload: REALISTIC_WORKLOAD,
    load: { mode: "closed", concurrency: streams },
    ...t,
  });
  switch (name) {
    case "protocol-overhead":
      return {
        name,
        description: `protocol overhead: zero-delay engine, ${DEFAULT_WORKLOAD.outputTokens} tokens, 16 concurrent streams`,
        workload: DEFAULT_WORKLOAD,
        load: { mode: "closed", concurrency: 16 },
        ...t,
      };
    case "low":
      return realistic(50, "low");
    case "normal":
      return realistic(200, "normal");
    case "peak":
      return realistic(800, "peak");
    case "burst":
      return realistic(1200, "burst");
    case "target":
      // The default against a server the bench did not start (--target, --upstream): a load a single Ollama
      // serves (it queues what it cannot run at once; the queue counts into its load_duration, not the overhead).
      return {
        name,
        description: "your server: 8 concurrent streams, 64-token replies (seeded, temperature 0)",
        workload: { ...DEFAULT_WORKLOAD, outputTokens: 64 },
        load: { mode: "closed", concurrency: 8 },
        ...t,
      };
  }
}
