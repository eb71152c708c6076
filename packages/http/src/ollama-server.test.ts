import { create } from "@bufbuild/protobuf";
import {
  type CallObserver,
  ChatRequestSchema,
  Code,
  GenerateRequestSchema,
  type ModelwireError,
} from "@modelwire/core";
import { createAdmission, guardEngine } from "@modelwire/engine";
import { Ollama } from "ollama";
import { afterEach, describe, expect, it } from "vitest";
import { eventually, type Harness, startHarness } from "./test-support/harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const RFC3339_NANO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

describe("the official ollama npm client against our server", () => {
  it("streams generate with every token the engine planned, then a final chunk with metrics", async () => {
    h = await startHarness({ tokens: 12 });
    const ollama = new Ollama({ host: h.url });
    const expected = h.engine.expectedGenerate(
      create(GenerateRequestSchema, { model: "synthetic", prompt: "hi there" }),
    );
    expect(expected).toHaveLength(12);
    const stream = await ollama.generate({ model: "synthetic", prompt: "hi there", stream: true });
    const parts: string[] = [];
    let final: { done_reason?: string; eval_count?: number; total_duration?: number } | undefined;
    for await (const chunk of stream) {
      expect(chunk.created_at).toBeTruthy();
      if (chunk.done) final = chunk;
      else parts.push(String(chunk.response));
    }
    expect(parts).toEqual(expected);
    expect(final?.done_reason).toBe("stop");
    expect(final?.eval_count).toBe(12);
    expect(typeof final?.total_duration).toBe("number");
    expect(final?.total_duration).toBeGreaterThan(0);
  });

  it("generate without streaming joins the tokens into one reply", async () => {
    h = await startHarness({ tokens: 9 });
    const ollama = new Ollama({ host: h.url });
    const req = { model: "synthetic:latest", prompt: "join me", options: { seed: 3, num_predict: 5 } };
    const expected = h.engine.expectedGenerate(
      create(GenerateRequestSchema, { model: req.model, prompt: req.prompt, options: { seed: 3n, numPredict: 5 } }),
    );
    const res = await ollama.generate({ ...req, stream: false });
    expect(expected).toHaveLength(5);
    expect(res.response).toBe(expected.join(""));
    expect(res.done).toBe(true);
    expect(res.done_reason).toBe("length");
    expect(String(res.created_at)).toMatch(RFC3339_NANO);
  });

  it("streams chat and answers chat without streaming", async () => {
    h = await startHarness({ tokens: 7 });
    const ollama = new Ollama({ host: h.url });
    const messages = [
      { role: "system", content: "be brief" },
      { role: "user", content: "hello?" },
    ];
    const expected = h.engine.expectedChat(create(ChatRequestSchema, { model: "synthetic", messages }));
    const parts: string[] = [];
    let done = false;
    for await (const c of await ollama.chat({ model: "synthetic", messages, stream: true })) {
      expect(c.message.role).toBe("assistant");
      if (c.done) done = true;
      else parts.push(c.message.content);
    }
    expect(done).toBe(true);
    expect(parts).toEqual(expected);
    const one = await ollama.chat({ model: "synthetic", messages });
    expect(one.message.content).toBe(expected.join(""));
    expect(one.done_reason).toBe("stop");
  });

  it("accepts every request field the client sends: images, format, keep_alive, think, tools, options", async () => {
    h = await startHarness({ tokens: 3 });
    const ollama = new Ollama({ host: h.url });
    const g = await ollama.generate({
      model: "synthetic-think",
      prompt: "describe",
      images: [new Uint8Array([137, 80, 78, 71, 0, 255])],
      format: "json",
      keep_alive: "5m",
      think: true,
      options: { temperature: 0.2, top_k: 5, stop: ["\n"], num_ctx: 2048, seed: 1 },
    });
    expect(g.done).toBe(true);
    const c = await ollama.chat({
      model: "synthetic-think",
      messages: [{ role: "user", content: "x", images: ["iVBORw0KGgo="] }],
      format: { type: "object", properties: { a: { type: "string" } } },
      keep_alive: 60,
      think: "low",
      tools: [
        { type: "function", function: { name: "f", description: "d", parameters: { type: "object", properties: {} } } },
      ],
    });
    expect(c.done).toBe(true);
    await expect(
      ollama.generate({ model: "synthetic", prompt: "x", images: ["%%%not-base64%%%"] }),
    ).rejects.toMatchObject({ status_code: 400, error: expect.stringContaining("images[0]") });
  });

  it("lists, shows, embeds, reports running models and the version", async () => {
    h = await startHarness({ version: "9.9.9-test", embedDimensions: 16 });
    const ollama = new Ollama({ host: h.url });
    const list = await ollama.list();
    expect(list.models.map((m) => m.name)).toContain("synthetic:latest");
    expect(list.models[0].details.family).toBe("synthetic");
    expect(typeof list.models[0].size).toBe("number");
    const show = await ollama.show({ model: "synthetic" });
    expect(show.capabilities).toContain("completion");
    expect(show.details.format).toBe("gguf");
    expect(
      show.model_info.get?.("general.architecture") ??
        (show.model_info as unknown as Record<string, unknown>)["general.architecture"],
    ).toBe("synthetic");
    const emb = await ollama.embed({ model: "synthetic-embed", input: ["a", "b"] });
    expect(emb.embeddings).toHaveLength(2);
    expect(emb.embeddings[0]).toHaveLength(16);
    const single = await ollama.embed({ model: "synthetic-embed", input: "a" });
    expect(single.embeddings[0]).toEqual(emb.embeddings[0]);
    const legacy = await ollama.embeddings({ model: "synthetic-embed", prompt: "a" });
    expect(legacy.embedding).toEqual(emb.embeddings[0]);
    const ps = await ollama.ps();
    expect(ps.models.length).toBeGreaterThan(0);
    expect(String(ps.models[0].expires_at)).toMatch(RFC3339_NANO);
    expect(await ollama.version()).toEqual({ version: "9.9.9-test" });
  });

  it("sees Ollama's errors: unknown model 404, bad option 400, wrong model kind 400", async () => {
    h = await startHarness();
    const ollama = new Ollama({ host: h.url });
    await expect(ollama.generate({ model: "nope", prompt: "x" })).rejects.toMatchObject({
      status_code: 404,
      error: "model 'nope' not found",
    });
    await expect(ollama.generate({ model: "nope", prompt: "x", stream: true })).rejects.toMatchObject({
      status_code: 404,
    });
    await expect(
      ollama.chat({
        model: "synthetic",
        messages: [{ role: "user", content: "x" }],
        options: { temperature: "hot" as unknown as number },
      }),
    ).rejects.toMatchObject({ status_code: 400, error: expect.stringContaining("temperature") });
    await expect(ollama.generate({ model: "synthetic-embed", prompt: "x" })).rejects.toMatchObject({
      status_code: 400,
      error: '"synthetic-embed" does not support generate',
    });
    await expect(ollama.show({ model: "missing" })).rejects.toMatchObject({ status_code: 404 });
  });

  it("abort stops the stream and cancels the engine's work", async () => {
    h = await startHarness({ tokens: 10_000, interTokenMs: 5 });
    const ollama = new Ollama({ host: h.url });
    const stream = await ollama.generate({ model: "synthetic", prompt: "long", stream: true });
    let n = 0;
    await expect(
      (async () => {
        for await (const _ of stream) {
          if (++n === 3) ollama.abort();
        }
      })(),
    ).rejects.toThrow(/abort/i);
    expect(n).toBeLessThan(10_000);
    expect(await eventually(() => h!.engine.stats().cancelled === 1 && h!.engine.stats().inFlight === 0)).toBe(true);
    expect(await eventually(() => h!.server.stats().inFlight === 0)).toBe(true);
  });
});

describe("server semantics", () => {
  it("answers 503 when the admission limit refuses a call, without a 200 first", async () => {
    const admission = createAdmission({ maxInFlight: 1, maxQueue: 0 });
    h = await startHarness({ tokens: 1000, interTokenMs: 5 }, {}, (e) => guardEngine(e, admission));
    const ollama = new Ollama({ host: h.url });
    const first = await ollama.generate({ model: "synthetic", prompt: "hold", stream: true });
    const it = first[Symbol.asyncIterator]();
    await it.next();
    const r = await fetch(`${h.url}/api/generate`, {
      method: "POST",
      body: JSON.stringify({ model: "synthetic", prompt: "x" }),
    });
    expect(r.status).toBe(503);
    const body = (await r.json()) as { code: string; error: unknown };
    expect(body.code).toBe("resource_exhausted");
    expect(typeof body.error).toBe("string");
    first.abort();
    await it.next().catch(() => {});
  });

  it("reports calls to the observer, with the error code of a failed call", async () => {
    const events: string[] = [];
    const observer = {
      callStarted(protocol: string, method: string): CallObserver {
        events.push(`start ${protocol} ${method}`);
        let chunks = 0;
        return {
          chunk: () => void chunks++,
          end: (e?: ModelwireError) => void events.push(`end ${method} ${chunks} ${e ? e.code : "ok"}`),
        };
      },
    };
    h = await startHarness({ tokens: 4 }, { observer });
    const ollama = new Ollama({ host: h.url });
    await ollama.generate({ model: "synthetic", prompt: "p" });
    await ollama.generate({ model: "absent", prompt: "p" }).catch(() => {});
    await ollama.version();
    expect(events).toEqual([
      "start http generate",
      "end generate 4 ok",
      "start http generate",
      `end generate 0 ${Code.NotFound}`,
      "start http version",
      "end version 0 ok",
    ]);
  });

  it("counts socket bytes and connections", async () => {
    h = await startHarness({ tokens: 3 });
    const before = h.server.stats();
    expect(before).toEqual({
      connections: 0,
      inFlight: 0,
      bytesIn: 0,
      bytesOut: 0,
      accepted: 0,
      refused: 0,
      stalled: 0,
      requests: 0,
    });
    const r = await fetch(`${h.url}/api/version`);
    const text = await r.text();
    const s = h.server.stats();
    expect(s.bytesIn).toBeGreaterThan(30);
    expect(s.bytesOut).toBeGreaterThan(text.length);
    expect(s.connections).toBeGreaterThanOrEqual(0);
  });

  it("requires the bearer token when configured, except on public paths", async () => {
    h = await startHarness({}, { authToken: "s3cret", publicPaths: ["/"] });
    const noAuth = await fetch(`${h.url}/api/version`);
    expect(noAuth.status).toBe(401);
    expect(await noAuth.json()).toMatchObject({ error: "unauthorized" });
    const wrong = await fetch(`${h.url}/api/version`, { headers: { authorization: "Bearer nope" } });
    expect(wrong.status).toBe(401);
    const ollama = new Ollama({ host: h.url, headers: { Authorization: "Bearer s3cret" } });
    expect((await ollama.version()).version).toBeTruthy();
    expect((await fetch(`${h.url}/`)).status).toBe(200);
  });

  it("lets extra routes share the listener", async () => {
    h = await startHarness(
      {},
      {
        extraRoutes: (req, res) => {
          if (req.url !== "/healthz") return false;
          res.end("ok");
          return true;
        },
      },
    );
    expect(await (await fetch(`${h.url}/healthz`)).text()).toBe("ok");
    expect(await (await fetch(`${h.url}/`)).text()).toBe("Ollama is running");
    expect((await fetch(`${h.url}/`, { method: "HEAD" })).status).toBe(200);
  });

  it("close lets an in-flight stream finish within the grace, then refuses new connections", async () => {
    h = await startHarness({ tokens: 20, interTokenMs: 10 });
    const ollama = new Ollama({ host: h.url });
    const stream = await ollama.generate({ model: "synthetic", prompt: "drain", stream: true });
    const closing = h.server.close({ graceMs: 10_000 });
    let last: { done: boolean } | undefined;
    for await (const c of stream) last = c;
    expect(last?.done).toBe(true);
    await closing;
    await expect(fetch(`${h.url}/api/version`)).rejects.toThrow();
  });

  it("close ends a stream that outlives the grace with its error line and cancels its engine call", async () => {
    h = await startHarness({ tokens: 100_000, interTokenMs: 5 });
    const ollama = new Ollama({ host: h.url });
    const stream = await ollama.generate({ model: "synthetic", prompt: "forever", stream: true });
    const it = stream[Symbol.asyncIterator]();
    await it.next();
    await h.server.close({ graceMs: 100 });
    await expect(
      (async () => {
        while (!(await it.next()).done);
      })(),
    ).rejects.toThrow(/server shutting down/); // the official client's error from the last NDJSON line
    expect(await eventually(() => h!.engine.stats().inFlight === 0)).toBe(true);
    expect(h.server.stats().connections).toBe(0);
  });
});
