import type { Engine } from "@modelwire/engine";
import type { ServeConfig } from "../config.js";
import { type CachedEngine, cacheEngine } from "./cached-engine.js";
import { createMemoryStore, type ReplyStore } from "./reply-store.js";

export { cacheEnabled } from "./enabled.js";

const MIB = 1024 * 1024;

/**
 * Puts the response cache in front of `engine` as the configuration says: in process (bounded by `--cache-mb`) or
 * in Redis (`--cache-redis`; `--cache-mb` then bounds one reply, default 64 MiB). Fails with `Unavailable` naming
 * `--cache-redis` when that Redis does not answer at start.
 */
export async function setupCache(
  cfg: ServeConfig,
  engine: Engine,
  namespace: () => string,
  warn: (line: string) => void,
): Promise<CachedEngine> {
  const maxBytes = Math.max(1, Math.floor((cfg.cacheMb > 0 ? cfg.cacheMb : 64) * MIB));
  const ttlMs = cfg.cacheTtl * 1000;
  let store: ReplyStore;
  if (cfg.cacheRedis !== undefined) {
    const { createRedisStore } = await import("./redis-store.js");
    store = await createRedisStore({ url: cfg.cacheRedis, ttlMs, maxEntryBytes: maxBytes, warn });
  } else {
    store = createMemoryStore({ maxBytes, ttlMs });
  }
  return cacheEngine(engine, { store, namespace, maxEntryBytes: maxBytes, warn });
}
