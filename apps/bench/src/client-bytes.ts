import type { InferenceClient } from "@modelwire/core";

/**
 * The bytes a client's sockets have moved so far, from its `stats().extra` (`bytesIn`, `bytesOut`: every
 * modelwire client counts them); NaN when a client does not say.
 */
export function clientBytes(client: InferenceClient): { bytesIn: number; bytesOut: number } {
  const extra = client.stats().extra ?? {};
  const num = (v: unknown) => (typeof v === "number" ? v : Number.NaN);
  return { bytesIn: num(extra.bytesIn), bytesOut: num(extra.bytesOut) };
}
