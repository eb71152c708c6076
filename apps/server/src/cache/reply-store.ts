import { LRUCache } from "lru-cache";

/** Figures of a reply store at one instant. */
export interface ReplyStoreStats {
  /** `"memory"` (in-process LRU) or `"redis"`. */
  kind: "memory" | "redis";
  /** Entries held now (the in-process store; Redis: not counted, 0). */
  entries: number;
  /** Bytes held now (keys and values; Redis: not counted, 0). */
  bytes: number;
  /** The byte bound (the in-process store), or the largest entry stored (Redis). */
  maxBytes: number;
  /** Entries pushed out to stay within `maxBytes`. */
  evictions: number;
  /** Entries dropped because their TTL passed (the in-process store counts those it saw expire). */
  expired: number;
  /** Replies not stored because one alone exceeds the bound. */
  tooLarge: number;
  /** Store operations that failed (Redis unreachable, timed out); each counted call went on without the cache. */
  errors: number;
  /** Whether the store can be used now (Redis: connected). */
  available: boolean;
}

/** Where the response cache keeps stored replies (bytes from stored-reply.ts) by key. */
export interface ReplyStore {
  /** The stored value, or `undefined` (absent, expired). Rejects when the store cannot be reached. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Stores a value with the store's TTL; resolves `false` when it was not kept (too large). */
  set(key: string, value: Uint8Array): Promise<boolean>;
  /** Drops every entry whose key starts with `prefix`; resolves with how many. */
  dropPrefix(prefix: string): Promise<number>;
  /** Drops every entry. */
  clear(): Promise<void>;
  stats(): ReplyStoreStats;
  close(): Promise<void>;
}

/** Options of {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /** Bound on keys + values, in bytes (≥ 1). */
  maxBytes: number;
  /** Entry lifetime in milliseconds; 0 = entries never expire (the byte bound alone evicts). */
  ttlMs: number;
}

/**
 * The in-process store: lru-cache bounded by bytes (`maxSize` with a size of key length + value length) with LRU
 * eviction and a TTL checked when an entry is read (no timer per entry). A value larger than the bound is not
 * stored.
 */
export function createMemoryStore(options: MemoryStoreOptions): ReplyStore {
  let evictions = 0;
  let expired = 0;
  let tooLarge = 0;
  const lru = new LRUCache<string, Uint8Array>({
    maxSize: options.maxBytes,
    sizeCalculation: (value, key) => Math.max(1, key.length + value.byteLength),
    ttl: options.ttlMs > 0 ? options.ttlMs : undefined,
    allowStale: false,
    updateAgeOnGet: false,
    dispose: (_value, _key, reason) => {
      if (reason === "evict") evictions++;
      else if (reason === "expire") expired++;
    },
  });
  return {
    async get(key) {
      return lru.get(key);
    },
    async set(key, value) {
      if (key.length + value.byteLength > options.maxBytes) {
        tooLarge++;
        return false;
      }
      lru.set(key, value);
      return true;
    },
    async dropPrefix(prefix) {
      const doomed = [...lru.keys()].filter((k) => k.startsWith(prefix));
      for (const k of doomed) lru.delete(k);
      return doomed.length;
    },
    async clear() {
      lru.clear();
    },
    stats: () => ({
      kind: "memory",
      entries: lru.size,
      bytes: lru.calculatedSize,
      maxBytes: options.maxBytes,
      evictions,
      expired,
      tooLarge,
      errors: 0,
      available: true,
    }),
    async close() {
      lru.clear();
    },
  };
}
