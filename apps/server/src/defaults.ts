import type { ServeConfig } from "./config.js";
import { SERVE_OPTIONS } from "./options.js";

/** The defaults of every `modelwire serve` option (the contract's ports: 11535-11538). */
export function defaultServeConfig(): ServeConfig {
  const out: Record<string, unknown> = {};
  for (const o of SERVE_OPTIONS) if (o.defaultValue !== undefined) out[o.key] = o.defaultValue;
  return out as unknown as ServeConfig;
}
