/** The gateway's memory at one moment of a campaign. */
export interface MemorySample {
  /** Seconds since the campaign started. */
  atSeconds: number;
  rssBytes: number;
  /** V8 heap in use (prom-client's `nodejs_heap_size_used_bytes`; NaN if the scrape failed). */
  heapUsedBytes: number;
  /** V8 heap reserved from the OS (`nodejs_heap_size_total_bytes`). */
  heapTotalBytes: number;
  /** Memory of C++ objects bound to JavaScript, Buffers included (`nodejs_external_memory_bytes`). */
  externalBytes: number;
}

/** A gauge's value in Prometheus exposition text (NaN if absent). */
export function gaugeValue(text: string, name: string): number {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)`, "m").exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

/** Samples the gateway's RSS (`/control/stats`) and V8 heap (`/metrics`, prom-client's process metrics). */
export async function sampleMemory(admin: string, atSeconds: number): Promise<MemorySample & { maxRssBytes: number }> {
  const signal = AbortSignal.timeout(5_000);
  const [stats, metrics] = await Promise.all([
    fetch(`${admin}/control/stats`, { signal }).then(
      (r) => r.json() as Promise<{ rssBytes: number; maxRssBytes: number }>,
    ),
    fetch(`${admin}/metrics`, { signal }).then(
      (r) => r.text(),
      () => "",
    ),
  ]);
  return {
    atSeconds,
    rssBytes: stats.rssBytes,
    maxRssBytes: stats.maxRssBytes,
    heapUsedBytes: gaugeValue(metrics, "nodejs_heap_size_used_bytes"),
    heapTotalBytes: gaugeValue(metrics, "nodejs_heap_size_total_bytes"),
    externalBytes: gaugeValue(metrics, "nodejs_external_memory_bytes"),
  };
}
