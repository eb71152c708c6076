/**
 * Several `--upstream`s: the bench starts its gateway in front of all of them (a fleet) and measures each one
 * straight as well, with a direct transport per upstream (`direct-1`, `direct-2`, … in the order given; one
 * upstream keeps the single `direct`).
 *
 * @module
 */

import { TRANSPORTS, type TransportPlugin } from "../transports.js";

/** The direct transport of one upstream: `direct` alone, else `direct-N` (1-based). */
export function directName(index: number, count: number): string {
  return count === 1 ? "direct" : `direct-${index + 1}`;
}

/** True for `direct` and `direct-N`: a baseline straight to an upstream, no gateway. */
export function isDirect(name: string): boolean {
  return name === "direct" || /^direct-\d+$/.test(name);
}

/** One direct transport per upstream (the `direct` plugin under each upstream's name). */
export function directTransports(upstreams: readonly string[]): TransportPlugin[] {
  const base = TRANSPORTS.find((t) => t.name === "direct")!;
  if (upstreams.length === 1) return [base];
  return upstreams.map((url, i) => ({
    ...base,
    name: directName(i, upstreams.length),
    description: `baseline: the same Ollama HTTP client straight to upstream ${i + 1} (${url}), no gateway`,
  }));
}
