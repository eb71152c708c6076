import { create } from "@bufbuild/protobuf";
import {
  backgroundContext,
  ChatRequestSchema,
  Code,
  EmbedRequestSchema,
  GenerateRequestSchema,
  type GenerateResponse,
  ModelwireError,
  ShowModelRequestSchema,
} from "@modelwire/core";
import { describe, expect, it } from "vitest";
import { createSyntheticEngine, expectedGenerateTokens, resolveSyntheticConfig } from "./synthetic.js";

const gen = (init: Parameters<typeof create<typeof GenerateRequestSchema>>[1]) => create(GenerateRequestSchema, init);

async function collect(it: AsyncIterable<GenerateResponse>) {
  const chunks: GenerateResponse[] = [];
  for await (const c of it) chunks.push(c);
  return chunks;
}

async function expectCode(p: Promise<unknown> | (() => unknown), code: Code, field?: string) {
  let err: unknown;
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ModelwireError);
  expect((err as ModelwireError).code).toBe(code);
  if (field) expect((err as ModelwireError).metadata.field).toBe(field);
  return err as ModelwireError;
}

describe("synthetic engine: determinism", () => {
  it("gives the same tokens for the same request and seed, and others for another seed", async () => {
    const req = gen({ model: "synthetic", prompt: "why is the sky blue?" });
    const a = await collect(createSyntheticEngine({ seed: 7 }).generate(req, backgroundContext()));
    const b = await collect(createSyntheticEngine({ seed: 7 }).generate(req, backgroundContext()));
    const c = await collect(createSyntheticEngine({ seed: 8 }).generate(req, backgroundContext()));
    const text = (cs: GenerateResponse[]) => cs.map((x) => x.response);
    expect(text(a)).toEqual(text(b));
    expect(text(a)).not.toEqual(text(c));
    expect(text(a).slice(0, -1)).toEqual(expectedGenerateTokens(req, resolveSyntheticConfig({ seed: 7 })));
  });

  it("depends on the prompt and on options.seed", () => {
    const e = createSyntheticEngine({ tokens: 32 });
    const base = e.expectedGenerate(gen({ model: "synthetic", prompt: "a" }));
    expect(e.expectedGenerate(gen({ model: "synthetic", prompt: "b" }))).not.toEqual(base);
    expect(e.expectedGenerate(gen({ model: "synthetic", prompt: "a", options: { seed: 1n } }))).not.toEqual(base);
  });

  it("streams one content chunk per token, then a final chunk with Ollama's metrics", async () => {
    const e = createSyntheticEngine({ tokens: 5 });
    const chunks = await collect(
      e.generate(gen({ model: "synthetic:latest", prompt: "one two three" }), backgroundContext()),
    );
    expect(chunks).toHaveLength(6);
    expect(chunks.slice(0, 5).every((c) => !c.done && c.response.length > 0)).toBe(true);
    const last = chunks[5];
    expect(last.done).toBe(true);
    expect(last.response).toBe("");
    expect(last.doneReason).toBe("stop");
    expect(last.metrics?.evalCount).toBe(5);
    expect(last.metrics?.promptEvalCount).toBe(3);
    expect(last.metrics!.totalDuration).toBeGreaterThanOrEqual(last.metrics!.evalDuration);
    expect(last.model).toBe("synthetic:latest");
    expect(last.createdAt).toBeDefined();
  });

  it("honours num_predict and reports done_reason length", async () => {
    const e = createSyntheticEngine({ tokens: 5 });
    const chunks = await collect(
      e.generate(gen({ model: "synthetic", prompt: "x", options: { numPredict: 3 } }), backgroundContext()),
    );
    expect(chunks.filter((c) => !c.done)).toHaveLength(3);
    expect(chunks.at(-1)?.doneReason).toBe("length");
    const unlimited = await collect(
      e.generate(gen({ model: "synthetic", prompt: "x", options: { numPredict: -1 } }), backgroundContext()),
    );
    expect(unlimited.filter((c) => !c.done)).toHaveLength(5);
  });

  it("chat streams assistant messages built from the conversation", async () => {
    const e = createSyntheticEngine({ tokens: 4 });
    const req = create(ChatRequestSchema, { model: "synthetic", messages: [{ role: "user", content: "hello" }] });
    const out: string[] = [];
    let final;
    for await (const c of e.chat(req, backgroundContext())) {
      expect(c.message?.role).toBe("assistant");
      if (c.done) final = c;
      else out.push(c.message!.content);
    }
    expect(out).toEqual(e.expectedChat(req));
    expect(final!.metrics?.evalCount).toBe(4);
  });

  it("embeds deterministically with unit-length vectors of the asked dimensions", async () => {
    const e = createSyntheticEngine();
    const req = create(EmbedRequestSchema, { model: "synthetic-embed", input: ["a", "b"], dimensions: 16 });
    const r1 = await e.embed(req, backgroundContext());
    const r2 = await e.embed(req, backgroundContext());
    expect(r1.embeddings).toHaveLength(2);
    expect(r1.embeddings[0].values).toHaveLength(16);
    expect(r1.embeddings[0].values).toEqual(r2.embeddings[0].values);
    expect(r1.embeddings[0].values).not.toEqual(r1.embeddings[1].values);
    const norm = Math.hypot(...r1.embeddings[0].values);
    expect(norm).toBeCloseTo(1, 5);
  });

  it("lists, shows and reports a version", async () => {
    const e = createSyntheticEngine();
    const list = await e.list(backgroundContext());
    expect(list.models.map((m) => m.name)).toContain("synthetic:latest");
    expect(list.models[0].details?.format).toBe("gguf");
    const show = await e.show(create(ShowModelRequestSchema, { model: "synthetic" }), backgroundContext());
    expect(show.capabilities).toEqual(["completion"]);
    // Nothing is loaded until a call uses a model (residency: see residency.test.ts).
    expect((await e.running(backgroundContext())).models).toEqual([]);
    expect((await e.version(backgroundContext())).version).toMatch(/\d+\.\d+/);
  });
});

describe("synthetic engine: bad input", () => {
  const e = createSyntheticEngine();

  it("an unknown model is NotFound naming the model", async () => {
    const err = await expectCode(
      () => e.generate(gen({ model: "nope", prompt: "x" }), backgroundContext()),
      Code.NotFound,
    );
    expect(err.rawMessage).toBe("model 'nope' not found");
    await expectCode(e.show(create(ShowModelRequestSchema, { model: "nope" }), backgroundContext()), Code.NotFound);
    await expectCode(
      e.embed(create(EmbedRequestSchema, { model: "nope", input: ["x"] }), backgroundContext()),
      Code.NotFound,
    );
  });

  it("a missing model is InvalidArgument naming the field", async () => {
    await expectCode(() => e.generate(gen({ prompt: "x" }), backgroundContext()), Code.InvalidArgument, "model");
  });

  it("invalid options are InvalidArgument naming the option", async () => {
    await expectCode(
      () => e.generate(gen({ model: "synthetic", options: { numPredict: -3 } }), backgroundContext()),
      Code.InvalidArgument,
      "options.num_predict",
    );
    await expectCode(
      () => e.generate(gen({ model: "synthetic", options: { topP: 1.5 } }), backgroundContext()),
      Code.InvalidArgument,
      "options.top_p",
    );
    await expectCode(
      () => e.generate(gen({ model: "synthetic", options: { temperature: -1 } }), backgroundContext()),
      Code.InvalidArgument,
      "options.temperature",
    );
    await expectCode(
      () => e.generate(gen({ model: "synthetic", options: { topK: -5 } }), backgroundContext()),
      Code.InvalidArgument,
      "options.top_k",
    );
  });

  it("accepts Ollama's -1 and -2 for num_predict", () => {
    expect(() =>
      e.generate(gen({ model: "synthetic", options: { numPredict: -2 } }), backgroundContext()),
    ).not.toThrow();
  });

  it("negative or non-numeric knobs are InvalidArgument naming the knob", async () => {
    await expectCode(() => createSyntheticEngine({ interTokenMs: -1 }), Code.InvalidArgument, "interTokenMs");
    await expectCode(() => createSyntheticEngine({ ttftMs: Number.NaN }), Code.InvalidArgument, "ttftMs");
    await expectCode(() => createSyntheticEngine({ tokens: 1.5 }), Code.InvalidArgument, "tokens");
    await expectCode(() => createSyntheticEngine({ jitter: 1 }), Code.InvalidArgument, "jitter");
    await expectCode(() => createSyntheticEngine().configure({ seed: -1 }), Code.InvalidArgument, "seed");
  });

  it("generating with an embedding model is InvalidArgument (embedding works on any model, as in Ollama)", async () => {
    await expectCode(() => e.generate(gen({ model: "synthetic-embed" }), backgroundContext()), Code.InvalidArgument);
  });
});
