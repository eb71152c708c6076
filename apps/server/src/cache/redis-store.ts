import { Code, clampTimerMs, ModelwireError } from "@modelwire/core";
import { createClient, RESP_TYPES } from "redis";
import type { ReplyStore, ReplyStoreStats } from "./reply-store.js";

/** Options of {@link createRedisStore}. */
export interface RedisStoreOptions {
  /** `redis://…`, `rediss://…` or `unix:///path/to/socket`. */
  url: string;
  /** Entry lifetime in milliseconds (Redis `PX`); 0 = no expiry (Redis's own maxmemory policy evicts). */
  ttlMs: number;
  /** Largest value stored. */
  maxEntryBytes: number;
  /** How long a lookup may take before the call goes on without the cache. Default 250 ms. */
  lookupTimeoutMs?: number;
  /** How long the first connection may take at start. Default 3000 ms. */
  connectTimeoutMs?: number;
  warn?: (line: string) => void;
}

/** Every key of ours starts with this, so one Redis can hold other data (and other versions of this layout). */
const PREFIX = "modelwire:cache:v1:";

/** The slice of the node-redis client this store uses (its full generic type is not needed here). */
interface RedisClient {
  connect(): Promise<unknown>;
  get(key: string): Promise<Buffer | string | null>;
  set(key: string, value: Buffer, options?: { expiration: { type: "PX"; value: number } }): Promise<unknown>;
  unlink(keys: string[]): Promise<number>;
  scanIterator(options: { MATCH: string; COUNT: number }): AsyncIterable<string[]>;
  withTypeMapping(mapping: Record<number, unknown>): RedisClient;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  once(event: string, listener: (...args: unknown[]) => void): unknown;
  destroy(): void;
  close(): Promise<void>;
  readonly isReady: boolean;
}

function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

function unavailable(url: string, why: string, cause?: unknown): ModelwireError {
  return new ModelwireError(
    `--cache-redis: cannot reach Redis at ${url}: ${why}`,
    Code.Unavailable,
    { option: "--cache-redis" },
    cause,
  );
}

/**
 * The shared store: one Redis (node-redis client) that every gateway pointed at it reads and fills. The first
 * connection must succeed at start (else `Unavailable` naming `--cache-redis`). Afterwards a Redis that goes away
 * makes lookups miss and stores fail fast (the offline queue is off, lookups time out after `lookupTimeoutMs`)
 * while the client reconnects in the background; callers see the errors and go on without the cache.
 */
export async function createRedisStore(options: RedisStoreOptions): Promise<ReplyStore> {
  const url = new URL(options.url);
  const connectTimeout = options.connectTimeoutMs ?? 3000;
  const lookupTimeout = options.lookupTimeoutMs ?? 250;
  const reconnectStrategy = (retries: number) => Math.min(50 * 2 ** Math.min(retries, 6), 2000);
  const client = (url.protocol === "unix:"
    ? createClient({
        socket: { path: decodeURIComponent(url.pathname), connectTimeout, reconnectStrategy },
        disableOfflineQueue: true,
      })
    : createClient({
        url: options.url,
        socket: { connectTimeout, reconnectStrategy },
        disableOfflineQueue: true,
      })) as unknown as RedisClient;
  const binary = client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
  let errors = 0;
  let tooLarge = 0;
  // node-redis emits "error" for every failed reconnect; an unhandled one would end the process.
  client.on("error", () => {});

  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      client.connect(),
      new Promise((_, reject) => client.once("error", (e) => reject(unavailable(options.url, String(e), e)))),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(unavailable(options.url, `no answer in ${connectTimeout} ms`)),
          clampTimerMs(connectTimeout),
        );
      }),
    ]);
  } catch (e) {
    client.destroy();
    throw e instanceof ModelwireError ? e : unavailable(options.url, String(e), e);
  } finally {
    clearTimeout(timer);
  }

  const counted = async <T>(op: Promise<T>): Promise<T> => {
    try {
      return await op;
    } catch (e) {
      errors++;
      throw ModelwireError.from(e, Code.Unavailable);
    }
  };

  const store: ReplyStore = {
    async get(key) {
      let t: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        t = setTimeout(
          () => reject(new ModelwireError(`Redis lookup took over ${lookupTimeout} ms`, Code.DeadlineExceeded)),
          clampTimerMs(lookupTimeout),
        );
      });
      try {
        const v = await counted(Promise.race([binary.get(PREFIX + key), timeout]));
        if (v === null) return undefined;
        return typeof v === "string" ? Buffer.from(v, "latin1") : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      } finally {
        clearTimeout(t);
      }
    },
    async set(key, value) {
      if (value.byteLength > options.maxEntryBytes) {
        tooLarge++;
        return false;
      }
      const buf = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      await counted(
        options.ttlMs > 0
          ? client.set(PREFIX + key, buf, { expiration: { type: "PX", value: options.ttlMs } })
          : client.set(PREFIX + key, buf),
      );
      return true;
    },
    async dropPrefix(prefix) {
      let n = 0;
      await counted(
        (async () => {
          for await (const keys of client.scanIterator({ MATCH: `${escapeGlob(PREFIX + prefix)}*`, COUNT: 500 })) {
            if (keys.length > 0) n += await client.unlink(keys);
          }
        })(),
      );
      return n;
    },
    async clear() {
      await store.dropPrefix("");
    },
    stats: (): ReplyStoreStats => ({
      kind: "redis",
      entries: 0,
      bytes: 0,
      maxBytes: options.maxEntryBytes,
      evictions: 0,
      expired: 0,
      tooLarge,
      errors,
      available: client.isReady,
    }),
    async close() {
      try {
        await client.close();
      } catch {
        client.destroy();
      }
    },
  };
  return store;
}
