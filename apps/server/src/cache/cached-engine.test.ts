import { create } from "@bufbuild/protobuf";
import {
  ChatRequestSchema,
  Code,
  type GenerateRequestInit,
  GenerateRequestSchema,
  type GenerateResponse,
  ModelwireError,
} from "@modelwire/core";
import { createEngineContext, createSyntheticEngine, type Engine, type EngineContext } from "@modelwire/engine";
import { until } from "@modelwire/test-kit";
import { describe, expect, it } from "vitest";
import { CACHE_METADATA_KEY } from "./cache-key.js";
import { type CachedEngine, cacheEngine } from "./cached-engine.js";
import { createMemoryStore } from "./reply-store.js";

const DET = { temperature: 0, seed: 3n };
const req = (
  init: Omit<Exclude<GenerateRequestInit, { $typeName: string }>, "model" | "prompt"> & {
    model?: string;
    prompt?: string;
  } = {},
) => create(GenerateRequestSchema, { model: "synthetic", prompt: "tell me", options: DET, ...init });

function ctx(meta: Record<string, string> = {}): EngineContext {
  return { signal: new AbortController().signal, requestMetadata: (k) => meta[k] };
}

async function collect(it: AsyncIterable<GenerateResponse>): Promise<GenerateResponse[]> {
  const out: GenerateResponse[] = [];
  for await (const c of it) out.push(c);
  return out;
}

const text = (chunks: GenerateResponse[]) => chunks.map((c) => c.response).join("");

function cached(engine: Engine, maxBytes = 1 << 20, ttlMs = 0): CachedEngine {
  return cacheEngine(engine, {
    store: createMemoryStore({ maxBytes, ttlMs }),
    namespace: () => "test",
    maxEntryBytes: maxBytes,
  });
}

describe("cacheEngine", () => {
  it("answers a repeated deterministic request from the cache with the same text and counts and the original metrics", async () => {
    const engine = createSyntheticEngine({ tokens: 12 });
    const c = cached(engine);
    const first = await collect(c.generate(req(), ctx()));
    await until(() => c.cacheStats().stores === 1);
    const second = await collect(c.generate(req(), ctx()));
    expect(engine.stats().requests).toBe(1);
    expect(c.cacheStats()).toMatchObject({ hits: 1, misses: 1, stores: 1 });
    expect(text(second)).toBe(text(first));
    expect(second.length).toBe(first.length);
    const [a, b] = [first[first.length - 1], second[second.length - 1]];
    expect(a.cacheHit).toBeUndefined();
    expect(b.cacheHit?.originalMetrics).toEqual(a.metrics);
    expect(b.doneReason).toBe(a.doneReason);
    expect(b.metrics?.evalCount).toBe(a.metrics?.evalCount);
    expect(b.metrics?.promptEvalCount).toBe(a.metrics?.promptEvalCount);
    // The hit's own durations time the replay: no load, and lookup + streaming make up the total.
    const m = b.metrics;
    expect(m?.loadDuration).toBe(0n);
    expect(m && m.promptEvalDuration + m.evalDuration).toBeLessThanOrEqual(m?.totalDuration ?? -1n);
    expect(m && m.totalDuration - (m.promptEvalDuration + m.evalDuration)).toBeLessThan(1_000n);
    expect(Number(b.cacheHit?.storedAt?.seconds)).toBeGreaterThan(1_600_000_000);
  });

  it("never stores a non-deterministic request, and honours the per-request switch", async () => {
    const engine = createSyntheticEngine({ tokens: 4 });
    const c = cached(engine);
    for (const options of [undefined, { temperature: 0.8, seed: 1n }, { temperature: 0 }]) {
      await collect(c.generate(req({ options }), ctx()));
      await collect(c.generate(req({ options }), ctx()));
    }
    await collect(c.generate(req(), ctx({ [CACHE_METADATA_KEY]: "off" })));
    await collect(c.generate(req(), ctx({ [CACHE_METADATA_KEY]: "off" })));
    expect(c.cacheStats()).toMatchObject({ hits: 0, misses: 0, stores: 0 });
    expect(c.cacheStats().skipped).toMatchObject({ not_deterministic: 6, opted_out: 2 });
    expect(c.cacheStats().store.entries).toBe(0);

    const on = ctx({ [CACHE_METADATA_KEY]: "on" });
    await collect(c.generate(req({ options: { temperature: 0.8 } }), on));
    await until(() => c.cacheStats().stores === 1);
    const hit = await collect(c.generate(req({ options: { temperature: 0.8 } }), on));
    expect(hit[hit.length - 1].cacheHit).toBeDefined();
  });

  it("stores nothing from a cancelled stream, a failed one, one without a final chunk, or one the caller left", async () => {
    const engine = createSyntheticEngine({ tokens: 50, interTokenMs: 1 });
    const failing: Engine = {
      ...engine,
      async *generate(r, cx) {
        let n = 0;
        for await (const chunk of engine.generate(r, cx)) {
          if (++n === 3) throw new ModelwireError("upstream broke", Code.Unavailable);
          yield chunk;
        }
      },
      async *chat(r, cx) {
        // Truncated: content, but the final chunk never comes.
        for await (const chunk of engine.chat(r, cx)) if (!chunk.done) yield chunk;
      },
    };
    const c = cached(failing);
    await expect(collect(c.generate(req(), ctx()))).rejects.toThrow("upstream broke");

    const chat = create(ChatRequestSchema, {
      model: "synthetic",
      messages: [{ role: "user", content: "x" }],
      options: DET,
    });
    for await (const _ of c.chat(chat, ctx())) {
      // drain
    }

    const plain = cached(engine);
    const call = createEngineContext();
    let seen = 0;
    await expect(
      (async () => {
        for await (const _ of plain.generate(req(), call)) {
          if (++seen === 2) call.abort(new ModelwireError("cancelled", Code.Canceled));
        }
      })(),
    ).rejects.toThrow("cancelled");
    for await (const _ of plain.generate(req({ prompt: "left early" }), ctx())) break;

    // Give any (wrong) asynchronous store time to land, then check none did.
    await new Promise((r) => setTimeout(r, 50));
    for (const e of [c, plain]) {
      expect(e.cacheStats().stores).toBe(0);
      expect(e.cacheStats().store.entries).toBe(0);
    }
  });

  it("evicts least recently used entries to stay within the byte bound", async () => {
    const engine = createSyntheticEngine({ tokens: 40 });
    const probe = cached(engine);
    await collect(probe.generate(req({ prompt: "p0" }), ctx()));
    await until(() => probe.cacheStats().stores === 1);
    const one = probe.cacheStats().store.bytes;
    // Room for three entries of about this size.
    const c = cached(engine, Math.floor(one * 3.5));
    for (const p of ["p0", "p1", "p2"]) await collect(c.generate(req({ prompt: p }), ctx()));
    await until(() => c.cacheStats().stores === 3);
    await collect(c.generate(req({ prompt: "p0" }), ctx())); // p0 is now the most recently used
    await collect(c.generate(req({ prompt: "p3" }), ctx()));
    await until(() => c.cacheStats().stores === 4);
    const s = c.cacheStats().store;
    expect(s.evictions).toBe(1);
    expect(s.entries).toBe(3);
    expect(s.bytes).toBeLessThanOrEqual(s.maxBytes);
    const hitsBefore = c.cacheStats().hits;
    await collect(c.generate(req({ prompt: "p0" }), ctx()));
    expect(c.cacheStats().hits).toBe(hitsBefore + 1);
    await collect(c.generate(req({ prompt: "p1" }), ctx())); // the evicted one
    expect(c.cacheStats().hits).toBe(hitsBefore + 1);

    const tiny = cached(engine, 64);
    await collect(tiny.generate(req(), ctx()));
    await new Promise((r) => setTimeout(r, 20));
    expect(tiny.cacheStats().stores).toBe(0);
  });

  it("stops serving an entry once its TTL has passed", async () => {
    const engine = createSyntheticEngine({ tokens: 4 });
    const c = cached(engine, 1 << 20, 40);
    await collect(c.generate(req(), ctx()));
    await until(() => c.cacheStats().stores === 1);
    // Repeats are hits until, eventually (not after a fixed sleep), the entry expires and one goes to the engine.
    const end = Date.now() + 5_000;
    let hits = 0;
    for (;;) {
      const chunks = await collect(c.generate(req(), ctx()));
      if (chunks[chunks.length - 1].cacheHit === undefined) break;
      hits++;
      if (Date.now() > end) throw new Error("the entry never expired");
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(engine.stats().requests).toBe(2);
    expect(c.cacheStats().hits).toBe(hits);
    expect(c.cacheStats().store.expired).toBe(1);
  });

  it("drops a model's entries when a keep_alive: 0 call unloads it, and keeps other models'", async () => {
    const engine = createSyntheticEngine({ tokens: 4 });
    const c = cached(engine);
    await collect(c.generate(req({ model: "synthetic" }), ctx()));
    await collect(c.generate(req({ model: "synthetic:7b" }), ctx()));
    await until(() => c.cacheStats().stores === 2);
    // A server stops pulling once it has the final chunk: the drop must not wait for the stream's end.
    for await (const chunk of c.generate(req({ model: "synthetic:latest", keepAlive: { seconds: 0n } }), ctx())) {
      if (chunk.done) break;
    }
    expect(c.cacheStats().dropped).toBe(1);
    expect(c.cacheStats().store.entries).toBe(1);
    const other = await collect(c.generate(req({ model: "synthetic:7b" }), ctx()));
    expect(other[other.length - 1].cacheHit).toBeDefined();
    const gone = await collect(c.generate(req({ model: "synthetic" }), ctx()));
    expect(gone[gone.length - 1].cacheHit).toBeUndefined();
  });

  it("fails a call with a bad switch value before any chunk, naming the key", async () => {
    const c = cached(createSyntheticEngine({}));
    const err = await collect(c.generate(req(), ctx({ [CACHE_METADATA_KEY]: "yes please" }))).catch((e) => e);
    expect(err).toBeInstanceOf(ModelwireError);
    expect((err as ModelwireError).code).toBe(Code.InvalidArgument);
    expect((err as ModelwireError).metadata.field).toBe(CACHE_METADATA_KEY);
  });
});
