import { create } from "@bufbuild/protobuf";
import { ChatRequestSchema, Code, GenerateRequestSchema, ModelwireError } from "@modelwire/core";
import type { EngineContext } from "@modelwire/engine";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CACHE_METADATA_KEY, cacheKey, canonical, decide, modelIdentity, modelPrefix } from "./cache-key.js";

const ctx = (meta: Record<string, string> = {}): EngineContext => ({
  signal: new AbortController().signal,
  requestMetadata: (k) => meta[k],
});
const deterministic = { temperature: 0, seed: 7n };
const gen = (init: Parameters<typeof create<typeof GenerateRequestSchema>>[1]) => create(GenerateRequestSchema, init);

describe("decide", () => {
  it("caches temperature 0 with a seed, and nothing else unless the caller opts in", () => {
    expect(decide("generate", gen({ model: "m", prompt: "p", options: deterministic }), ctx(), "ns").cacheable).toBe(
      true,
    );
    for (const options of [undefined, { temperature: 0 }, { seed: 1n }, { temperature: 0.7, seed: 1n }]) {
      const d = decide("generate", gen({ model: "m", prompt: "p", options }), ctx(), "ns");
      expect(d).toMatchObject({ cacheable: false, reason: "not_deterministic" });
    }
    const optedIn = decide("generate", gen({ model: "m", prompt: "p" }), ctx({ [CACHE_METADATA_KEY]: "on" }), "ns");
    expect(optedIn.cacheable).toBe(true);
    const optedOut = decide(
      "generate",
      gen({ model: "m", prompt: "p", options: deterministic }),
      ctx({ [CACHE_METADATA_KEY]: " OFF " }),
      "ns",
    );
    expect(optedOut).toMatchObject({ cacheable: false, reason: "opted_out" });
  });

  it("never caches load and unload calls, and marks unloads", () => {
    const load = decide("generate", gen({ model: "m", prompt: "", options: deterministic }), ctx(), "ns");
    expect(load).toMatchObject({ cacheable: false, reason: "load_or_unload", unload: false });
    const unload = decide(
      "generate",
      gen({ model: "m", prompt: "p", keepAlive: { seconds: 0n, nanos: 0 }, options: deterministic }),
      ctx({ [CACHE_METADATA_KEY]: "on" }),
      "ns",
    );
    expect(unload).toMatchObject({ cacheable: false, reason: "load_or_unload", unload: true });
    const chatLoad = decide("chat", create(ChatRequestSchema, { model: "m", options: deterministic }), ctx(), "ns");
    expect(chatLoad).toMatchObject({ cacheable: false, reason: "load_or_unload" });
  });

  it("refuses a switch value other than on/off with InvalidArgument naming the key", () => {
    let err: unknown;
    try {
      decide("generate", gen({ model: "m", prompt: "p" }), ctx({ [CACHE_METADATA_KEY]: "maybe" }), "ns");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ModelwireError);
    expect((err as ModelwireError).code).toBe(Code.InvalidArgument);
    expect((err as ModelwireError).metadata.field).toBe(CACHE_METADATA_KEY);
  });
});

describe("cacheKey", () => {
  const base = { model: "llama3", prompt: "why is the sky blue", options: deterministic };

  it("ignores stream and keep_alive, and model spelling Ollama treats as one", () => {
    const k = cacheKey("generate", gen(base), "ns");
    expect(cacheKey("generate", gen({ ...base, stream: false, keepAlive: { seconds: 300n } }), "ns")).toBe(k);
    expect(cacheKey("generate", gen({ ...base, model: "Llama3:latest" }), "ns")).toBe(k);
    expect(k.startsWith(modelPrefix("ns", "llama3"))).toBe(true);
  });

  it("separates every field that can change the reply, the method and the engine namespace", () => {
    const k = cacheKey("generate", gen(base), "ns");
    const variants = [
      gen({ ...base, prompt: "why is the sky red" }),
      gen({ ...base, model: "llama3:8b" }),
      gen({ ...base, system: "be brief" }),
      gen({ ...base, template: "{{ .Prompt }}" }),
      gen({ ...base, suffix: "end" }),
      gen({ ...base, raw: true }),
      gen({ ...base, format: '"json"' }),
      gen({ ...base, images: [new Uint8Array([1, 2, 3])] }),
      gen({ ...base, context: [1, 2] }),
      gen({ ...base, options: { ...deterministic, numPredict: 5 } }),
      gen({ ...base, options: { temperature: 0, seed: 8n } }),
      gen({ ...base, think: { value: { case: "enabled", value: true } } }),
    ];
    const keys = new Set(variants.map((r) => cacheKey("generate", r, "ns")));
    expect(keys.size).toBe(variants.length);
    expect(keys.has(k)).toBe(false);
    expect(cacheKey("generate", gen(base), "other-ns")).not.toBe(k);
    const chat = create(ChatRequestSchema, {
      model: "llama3",
      messages: [{ role: "user", content: base.prompt }],
      options: deterministic,
    });
    expect(cacheKey("chat", chat, "ns")).not.toBe(k);
  });

  it("gives a JSON schema format the same key whatever its key order", () => {
    const a = gen({ ...base, format: '{"type":"object","required":["a"]}' });
    const b = gen({ ...base, format: '{"required":["a"],"type":"object"}' });
    expect(cacheKey("generate", a, "ns")).toBe(cacheKey("generate", b, "ns"));
  });

  it("canonical JSON does not depend on key order (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const shuffled = JSON.parse(JSON.stringify(v), (_k, x) =>
          x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).reverse()) : x,
        );
        expect(canonical(shuffled)).toBe(canonical(v as never));
      }),
    );
  });

  it("model identity lower-cases and adds the default tag", () => {
    expect(modelIdentity("Llama3")).toBe("llama3:latest");
    expect(modelIdentity("llama3.2:1b")).toBe("llama3.2:1b");
    expect(modelIdentity("host:5000/ns/model")).toBe("host:5000/ns/model:latest");
  });
});
