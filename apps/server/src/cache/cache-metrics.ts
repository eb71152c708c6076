import { Counter, type Registry } from "prom-client";
import { sampledCounter, sampledGauge } from "../sampled-metrics.js";
import type { CacheStats } from "./cached-engine.js";

/**
 * Registers the response cache's Prometheus metrics on `registry`, sampled from `read()` at scrape time:
 * `modelwire_cache_hits_total`, `_misses_total`, `_stores_total`, `_skipped_total{reason}`, `_evictions_total`,
 * `_expired_total`, `_dropped_total` (model unloaded), `_too_large_total`, `_store_errors_total`, and the gauges
 * `modelwire_cache_entries`, `modelwire_cache_bytes`, `modelwire_cache_max_bytes`, `modelwire_cache_store_up`.
 */
export function registerCacheMetrics(registry: Registry, read: () => CacheStats): void {
  const total = (name: string, help: string, pick: (s: CacheStats) => number) =>
    sampledCounter(registry, name, help, () => pick(read()));
  const gauge = (name: string, help: string, pick: (s: CacheStats) => number) =>
    sampledGauge(registry, name, help, () => pick(read()));
  total("modelwire_cache_hits_total", "Cacheable calls answered from the response cache.", (s) => s.hits);
  total("modelwire_cache_misses_total", "Cacheable calls the response cache did not answer.", (s) => s.misses);
  total("modelwire_cache_stores_total", "Replies stored in the response cache.", (s) => s.stores);
  new Counter({
    name: "modelwire_cache_skipped_total",
    help: "Calls the response cache did not look up, by reason.",
    labelNames: ["reason"],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, n] of Object.entries(read().skipped)) this.inc({ reason }, n);
    },
  });
  total("modelwire_cache_evictions_total", "Entries evicted to stay within --cache-mb.", (s) => s.store.evictions);
  total("modelwire_cache_expired_total", "Entries dropped because --cache-ttl passed.", (s) => s.store.expired);
  total("modelwire_cache_dropped_total", "Entries dropped because their model was unloaded.", (s) => s.dropped);
  total("modelwire_cache_too_large_total", "Replies not stored: larger than the bound.", (s) => s.store.tooLarge);
  total(
    "modelwire_cache_store_errors_total",
    "Cache store operations that failed (the calls went on without the cache).",
    (s) => s.store.errors,
  );
  gauge("modelwire_cache_entries", "Entries in the in-process response cache.", (s) => s.store.entries);
  gauge("modelwire_cache_bytes", "Bytes (keys and values) in the in-process response cache.", (s) => s.store.bytes);
  gauge(
    "modelwire_cache_max_bytes",
    "The response cache's byte bound (Redis: the largest entry).",
    (s) => s.store.maxBytes,
  );
  gauge("modelwire_cache_store_up", "1 when the cache store can be used (Redis connected).", (s) =>
    s.store.available ? 1 : 0,
  );
}
