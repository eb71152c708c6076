import type { CostFigures } from "./result.js";

/** What a window's cost is made of before it is divided per request and per token. */
export interface CostTotals {
  /** Server process CPU (user + system) over the window, µs (NaN when the server cannot be read). */
  serverCpuMicros: number;
  /** Socket bytes the server read / wrote over the window. */
  bytesIn: number;
  bytesOut: number;
  serverRssBytes: number;
  serverMaxRssBytes: number;
}

/** `x / n`, or NaN when nothing was counted (never a division by zero reported as Infinity or 0). */
export function perUnit(x: number, n: number): number {
  return n > 0 ? x / n : Number.NaN;
}

/**
 * A window's cost figures from its totals: server CPU and bytes per request and per token, generator CPU per
 * request. The one place this arithmetic lives (a measured window, a foreign target's window, merged agents).
 */
export function costFigures(t: CostTotals, requests: number, tokens: number, generatorCpuMicros: number): CostFigures {
  const bytes = t.bytesIn + t.bytesOut;
  return {
    serverCpuMicros: t.serverCpuMicros,
    serverCpuPerRequestUs: perUnit(t.serverCpuMicros, requests),
    serverCpuPerTokenUs: perUnit(t.serverCpuMicros, tokens),
    bytesIn: t.bytesIn,
    bytesOut: t.bytesOut,
    bytesPerRequest: perUnit(bytes, requests),
    bytesPerToken: perUnit(bytes, tokens),
    serverRssBytes: t.serverRssBytes,
    serverMaxRssBytes: t.serverMaxRssBytes,
    generatorCpuPerRequestUs: perUnit(generatorCpuMicros, requests),
  };
}
