import { create } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import {
  backgroundContext,
  ChatRequestSchema,
  type ChatResponse,
  Code,
  EmbedRequestSchema,
  GenerateRequestSchema,
  type GenerateResponse,
  ModelwireError,
} from "@modelwire/core";
import { describe, expect, it } from "vitest";
import { FOREVER_MS } from "./residency.js";
import { createSyntheticEngine } from "./synthetic.js";

const gen = (init: Parameters<typeof create<typeof GenerateRequestSchema>>[1]) => create(GenerateRequestSchema, init);
const chat = (init: Parameters<typeof create<typeof ChatRequestSchema>>[1]) => create(ChatRequestSchema, init);

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const c of it) out.push(c);
  return out;
}
const final = async (it: AsyncIterable<GenerateResponse>) => (await collect(it)).at(-1)!;
const ms = (ns: bigint | undefined) => Number(ns ?? 0n) / 1e6;
const names = async (e: ReturnType<typeof createSyntheticEngine>) =>
  (await e.running(backgroundContext())).models.map((m) => m.name);

describe("synthetic engine: load and unload as Ollama does", () => {
  it("an empty prompt loads the model: one final chunk, done_reason load, no metrics; /api/ps lists it", async () => {
    const e = createSyntheticEngine();
    const chunks = await collect(e.generate(gen({ model: "Synthetic" }), backgroundContext()));
    expect(chunks).toHaveLength(1);
    expect(chunks[0]).toMatchObject({ done: true, doneReason: "load", response: "", model: "Synthetic" });
    expect(chunks[0].metrics).toBeUndefined();
    const ps = (await e.running(backgroundContext())).models;
    expect(ps.map((m) => m.name)).toEqual(["synthetic:latest"]);
    expect(ps[0].sizeVram).toBe(ps[0].size);
    expect(ps[0].contextLength).toBe(4096);
    const left = timestampMs(ps[0].expiresAt!) - Date.now();
    expect(left).toBeGreaterThan(4 * 60_000);
    expect(left).toBeLessThanOrEqual(5 * 60_000);
  });

  it("chat with no messages loads; with keep_alive 0 it unloads (done_reason unload)", async () => {
    const e = createSyntheticEngine();
    const load = await collect(e.chat(chat({ model: "synthetic:7b", messages: [] }), backgroundContext()));
    expect(load.map((c: ChatResponse) => [c.done, c.doneReason, c.message?.role])).toEqual([
      [true, "load", "assistant"],
    ]);
    expect(await names(e)).toEqual(["synthetic:7b"]);
    const unload = await collect(
      e.chat(chat({ model: "synthetic:7b", messages: [], keepAlive: { seconds: 0n } }), backgroundContext()),
    );
    expect(unload.map((c) => c.doneReason)).toEqual(["unload"]);
    expect(await names(e)).toEqual([]);
  });

  it("keep_alive 0 with a prompt unloads once the call ends; a negative keep_alive keeps it forever", async () => {
    const e = createSyntheticEngine({ tokens: 3 });
    await final(e.generate(gen({ model: "synthetic", prompt: "x", keepAlive: { seconds: 0n } }), backgroundContext()));
    expect(await names(e)).toEqual([]);
    await final(e.generate(gen({ model: "synthetic", prompt: "x", keepAlive: { seconds: -1n } }), backgroundContext()));
    const ps = (await e.running(backgroundContext())).models;
    // Ollama's "forever" is the largest Go duration: about 292 years ahead.
    expect(timestampMs(ps[0].expiresAt!) - Date.now()).toBeGreaterThan(FOREVER_MS - 60_000);
    expect(new Date(timestampMs(ps[0].expiresAt!)).getUTCFullYear()).toBeGreaterThan(2300);
  });

  it("a model whose keep-alive passed is no longer loaded, and the next call pays the load again", async () => {
    const e = createSyntheticEngine({ tokens: 1, loadMs: 30 });
    const first = await final(
      e.generate(gen({ model: "synthetic", prompt: "x", keepAlive: { nanos: 1 } }), backgroundContext()),
    );
    expect(ms(first.metrics?.loadDuration)).toBeGreaterThanOrEqual(29);
    await new Promise((r) => setTimeout(r, 5));
    expect(await names(e)).toEqual([]);
    const again = await final(e.generate(gen({ model: "synthetic", prompt: "y" }), backgroundContext()));
    expect(ms(again.metrics?.loadDuration)).toBeGreaterThanOrEqual(29);
  });

  it("--load-ms: the first call to an unloaded model pays it as load_duration; later calls pay nothing", async () => {
    const e = createSyntheticEngine({ tokens: 2, loadMs: 60 });
    const t0 = performance.now();
    const cold = await final(e.generate(gen({ model: "synthetic", prompt: "cold" }), backgroundContext()));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(59);
    const m = cold.metrics!;
    expect(ms(m.loadDuration)).toBeGreaterThanOrEqual(59);
    // Every duration is measured: the total covers load, prompt and generation.
    expect(m.totalDuration).toBeGreaterThanOrEqual(m.loadDuration + m.promptEvalDuration + m.evalDuration - 1000n);
    const warm = await final(e.generate(gen({ model: "synthetic", prompt: "warm" }), backgroundContext()));
    expect(warm.metrics?.loadDuration).toBe(0n);
    // Another model is loaded on its own.
    const other = await final(e.generate(gen({ model: "synthetic:7b", prompt: "cold too" }), backgroundContext()));
    expect(ms(other.metrics?.loadDuration)).toBeGreaterThanOrEqual(59);
  });

  it("a call during a load waits for the same load, not a second one", async () => {
    const e = createSyntheticEngine({ tokens: 1, loadMs: 80 });
    const t0 = performance.now();
    const a = final(e.generate(gen({ model: "synthetic", prompt: "a" }), backgroundContext()));
    await new Promise((r) => setTimeout(r, 30));
    const b = final(e.generate(gen({ model: "synthetic", prompt: "b" }), backgroundContext()));
    const [ra, rb] = await Promise.all([a, b]);
    expect(ms(ra.metrics?.loadDuration)).toBeGreaterThanOrEqual(79);
    // b waited only for the rest of a's load, and was done no earlier than the load.
    expect(ms(rb.metrics?.loadDuration)).toBeLessThan(ms(ra.metrics?.loadDuration));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(79);
  });

  it("a cancel during the load ends the call with the cancel", async () => {
    const e = createSyntheticEngine({ loadMs: 10_000 });
    const abort = new AbortController();
    const it = e.generate(gen({ model: "synthetic", prompt: "x" }), { signal: abort.signal })[Symbol.asyncIterator]();
    const first = it.next();
    abort.abort(new ModelwireError("bye", Code.Canceled));
    await expect(first).rejects.toMatchObject({ code: Code.Canceled });
    expect(e.stats().inFlight).toBe(0);
  });

  it("num_ctx sets the loaded context length (capped to the trained one), and a different one reloads", async () => {
    const e = createSyntheticEngine({ tokens: 1, loadMs: 20 });
    await final(
      e.generate(gen({ model: "synthetic:7b", prompt: "x", options: { numCtx: 8192 } }), backgroundContext()),
    );
    expect((await e.running(backgroundContext())).models[0].contextLength).toBe(8192);
    const same = await final(
      e.generate(gen({ model: "synthetic:7b", prompt: "y", options: { numCtx: 8192 } }), backgroundContext()),
    );
    expect(same.metrics?.loadDuration).toBe(0n);
    const bigger = await final(
      e.generate(gen({ model: "synthetic:7b", prompt: "z", options: { numCtx: 1_000_000 } }), backgroundContext()),
    );
    expect(ms(bigger.metrics?.loadDuration)).toBeGreaterThanOrEqual(19);
    expect((await e.running(backgroundContext())).models[0].contextLength).toBe(32_768);
  });

  it("/api/ps lists the model expiring last first", async () => {
    const e = createSyntheticEngine({ tokens: 1 });
    await final(e.generate(gen({ model: "synthetic", prompt: "x", keepAlive: { seconds: 60n } }), backgroundContext()));
    await final(
      e.generate(gen({ model: "synthetic:7b", prompt: "x", keepAlive: { seconds: 600n } }), backgroundContext()),
    );
    expect(await names(e)).toEqual(["synthetic:7b", "synthetic:latest"]);
  });
});

describe("synthetic engine: embeddings on any model", () => {
  const embed = (init: Parameters<typeof create<typeof EmbedRequestSchema>>[1]) => create(EmbedRequestSchema, init);

  it("a completion model embeds, with its own embedding length; dimensions below it truncate", async () => {
    const e = createSyntheticEngine();
    const r = await e.embed(embed({ model: "synthetic", input: ["a", "b"] }), backgroundContext());
    expect(r.embeddings.map((v) => v.values.length)).toEqual([2048, 2048]);
    expect(r.model).toBe("synthetic");
    const small = await e.embed(embed({ model: "synthetic", input: ["a"], dimensions: 8 }), backgroundContext());
    expect(small.embeddings[0].values).toHaveLength(8);
    expect(Math.hypot(...small.embeddings[0].values)).toBeCloseTo(1, 5);
    // Asking for more than the model has gives the model's (Ollama only ever truncates).
    const big = await e.embed(embed({ model: "synthetic", input: ["a"], dimensions: 9999 }), backgroundContext());
    expect(big.embeddings[0].values).toHaveLength(2048);
  });

  it("an empty input loads the model and embeds nothing", async () => {
    const e = createSyntheticEngine({ loadMs: 20 });
    const r = await e.embed(embed({ model: "synthetic-embed", input: [] }), backgroundContext());
    expect(r.embeddings).toEqual([]);
    expect(await names(e)).toEqual(["synthetic-embed:latest"]);
    const next = await e.embed(embed({ model: "synthetic-embed", input: ["x"] }), backgroundContext());
    expect(next.loadDuration).toBe(0n);
    expect(next.embeddings[0].values).toHaveLength(384);
  });
});
