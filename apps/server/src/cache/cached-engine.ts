/**
 * The response cache as an engine wrapper, so every wire (HTTP, Connect/gRPC, MCP) gets it: a cacheable request
 * (cache-key.ts) is answered from the store when it holds the reply, and otherwise goes to the engine, whose reply
 * is stored once the engine has produced its final chunk. See docs/serve.md, "Response cache".
 *
 * A hit streams the stored chunks as fast as the server takes them. Its chunks carry the current time as
 * `created_at`, and its final chunk carries `cache_hit` (the stored reply's own metrics and when it was stored) and
 * metrics that time this reply: `load_duration` 0, `prompt_eval_duration` the lookup, `eval_duration` the streaming
 * of the stored chunks, `total_duration` from the call reaching the cache to the final chunk; the counts are the
 * stored reply's (the same prompt and the same tokens).
 *
 * Nothing is stored from a stream that failed, was cancelled, or ended without a final chunk; nor a reply whose
 * final chunk is a load or unload. A store that fails (Redis gone) makes the call go on without the cache, with one
 * warning per outage.
 *
 * @module
 */
import type { ChatRequest, GenerateRequest, Metrics } from "@modelwire/core";
import { ModelwireError, newMetrics, timestampOfMs } from "@modelwire/core";
import type { Engine, EngineContext } from "@modelwire/engine";
import { isAborted } from "@modelwire/engine";
import { type CacheDecision, decide, modelPrefix, type SkipReason } from "./cache-key.js";
import type { ReplyStore, ReplyStoreStats } from "./reply-store.js";
import {
  type ChunkOf,
  decodeStoredReply,
  encodeChunk,
  encodeStoredReply,
  MAX_STORED_CHUNKS,
  type ReplyKind,
} from "./stored-reply.js";

/** Counters of the response cache, with its store's figures. */
export interface CacheStats {
  /** Cacheable calls answered from the store. */
  hits: number;
  /** Cacheable calls the store did not answer (they went to the engine). */
  misses: number;
  /** Replies stored. */
  stores: number;
  /** Calls not looked up, by reason. */
  skipped: Record<SkipReason, number>;
  /** Entries dropped because their model was unloaded. */
  dropped: number;
  store: ReplyStoreStats;
}

/** An engine with a response cache in front. */
export interface CachedEngine extends Engine {
  cacheStats(): CacheStats;
  /** Drops every entry (the engine's knobs changed, so stored replies may no longer be what it would say). */
  clearCache(): Promise<void>;
  /** Drops the entries of one model (it was unloaded). */
  dropModel(model: string): Promise<void>;
}

/** Options of {@link cacheEngine}. */
export interface CacheEngineOptions {
  store: ReplyStore;
  /** The engine namespace of keys (see cache-key.ts), read per call: it changes with the synthetic knobs. */
  namespace: () => string;
  /** Largest reply stored, in bytes (a longer reply streams on, uncached). */
  maxEntryBytes: number;
  /** Warnings (a failing store); one line each, no newline. */
  warn?: (line: string) => void;
}

const NS_PER_MS = 1_000_000;

function nsSince(fromMs: number, toMs: number): bigint {
  return BigInt(Math.max(0, Math.round((toMs - fromMs) * NS_PER_MS)));
}

/** Wraps `engine` (a plain-object engine, as guardEngine returns) with the response cache in `options.store`. */
export function cacheEngine(engine: Engine, options: CacheEngineOptions): CachedEngine {
  const { store } = options;
  const warn = options.warn ?? (() => {});
  let hits = 0;
  let misses = 0;
  let stores = 0;
  let dropped = 0;
  const skipped: Record<SkipReason, number> = { not_deterministic: 0, opted_out: 0, load_or_unload: 0 };
  let failing = false;

  const storeFailed = (what: string, e: unknown) => {
    if (!failing) {
      failing = true;
      warn(
        `modelwire: warning: response cache ${what} failed, calls go on without it: ${ModelwireError.from(e).rawMessage}`,
      );
    }
  };
  const storeWorked = () => {
    if (failing) {
      failing = false;
      warn("modelwire: response cache store answers again");
    }
  };

  async function dropModel(model: string): Promise<void> {
    try {
      dropped += await store.dropPrefix(modelPrefix(options.namespace(), model));
      storeWorked();
    } catch (e) {
      storeFailed("drop", e);
    }
  }

  async function* serve<K extends ReplyKind>(
    kind: K,
    request: K extends "generate" ? GenerateRequest : ChatRequest,
    ctx: EngineContext,
    open: () => AsyncIterable<ChunkOf<K>>,
  ): AsyncGenerator<ChunkOf<K>> {
    const startMs = performance.now();
    const decision: CacheDecision = decide(kind, request, ctx, options.namespace());
    if (!decision.cacheable) {
      skipped[decision.reason]++;
      for await (const chunk of open()) {
        // Before handing over the final chunk: a server may stop pulling once it has it.
        if (chunk.done && decision.unload) await dropModel(decision.model);
        yield chunk;
      }
      return;
    }

    let stored: Uint8Array | undefined;
    try {
      stored = await store.get(decision.key);
      storeWorked();
    } catch (e) {
      storeFailed("lookup", e);
    }
    if (stored !== undefined) {
      let reply: ReturnType<typeof decodeStoredReply<K>> | undefined;
      try {
        reply = decodeStoredReply(kind, stored);
      } catch (e) {
        warn(`modelwire: warning: ${ModelwireError.from(e).rawMessage}; answering from the engine`);
      }
      if (reply !== undefined) {
        hits++;
        yield* replay(reply.chunks, reply.storedAtMs, startMs, ctx);
        return;
      }
    }

    misses++;
    const encoded: Uint8Array[] = [];
    let bytes = 0;
    let keep = true;
    for await (const chunk of open()) {
      if (keep) {
        const b = encodeChunk(kind, chunk);
        bytes += 4 + b.length;
        encoded.push(b);
        if (bytes > options.maxEntryBytes || encoded.length > MAX_STORED_CHUNKS) {
          keep = false;
          encoded.length = 0;
        }
      }
      if (chunk.done) {
        // The engine's reply is complete: store it before handing over the final chunk (a server may stop
        // pulling after it). A load/unload reply or a cancelled call stores nothing.
        const reason = chunk.doneReason;
        if (keep && reason !== "load" && reason !== "unload" && !isAborted(ctx)) {
          const value = encodeStoredReply(kind, Date.now(), encoded);
          void store.set(decision.key, value).then(
            (kept) => {
              if (kept) stores++;
              storeWorked();
            },
            (e) => storeFailed("store", e),
          );
        }
        keep = false;
      }
      yield chunk;
    }
  }

  /** Yields a stored reply's chunks with truthful times (see the module comment). */
  async function* replay<K extends ReplyKind>(
    chunks: ChunkOf<K>[],
    storedAtMs: number,
    startMs: number,
    ctx: EngineContext,
  ): AsyncGenerator<ChunkOf<K>> {
    const foundMs = performance.now();
    const last = chunks.length - 1;
    for (let i = 0; i < last; i++) {
      if (isAborted(ctx)) throw ctx.signal.reason;
      const c = chunks[i];
      c.createdAt = timestampOfMs(Date.now());
      yield c;
    }
    if (isAborted(ctx)) throw ctx.signal.reason;
    const final = chunks[last];
    const original: Metrics | undefined = final.metrics;
    const endMs = performance.now();
    final.createdAt = timestampOfMs(Date.now());
    final.metrics = newMetrics(
      nsSince(startMs, endMs),
      0n,
      original?.promptEvalCount ?? 0,
      nsSince(startMs, foundMs),
      original?.evalCount ?? 0,
      nsSince(foundMs, endMs),
    );
    final.cacheHit = {
      $typeName: "modelwire.v1.CacheHit",
      originalMetrics: original,
      storedAt: timestampOfMs(storedAtMs),
    };
    yield final;
  }

  return {
    ...engine,
    generate: (req, ctx) => serve("generate", req, ctx, () => engine.generate(req, ctx)),
    chat: (req, ctx) => serve("chat", req, ctx, () => engine.chat(req, ctx)),
    async close() {
      await Promise.allSettled([engine.close(), store.close()]);
    },
    cacheStats: () => ({ hits, misses, stores, skipped: { ...skipped }, dropped, store: store.stats() }),
    clearCache: async () => {
      try {
        await store.clear();
      } catch (e) {
        storeFailed("clear", e);
      }
    },
    dropModel,
  };
}
