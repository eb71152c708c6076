/**
 * Ollama behaviours applications depend on, checked on every wire the gateway serves (HTTP, Connect/gRPC, MCP)
 * through our clients, and on the HTTP port with the official `ollama` npm client and raw HTTP where a client
 * hides the detail. The reference is Ollama's own API (docs/api.md, api/types.go, server/routes.go).
 */
import { create } from "@bufbuild/protobuf";
import { ChatOllama, OllamaEmbeddings } from "@langchain/ollama";
import {
  Code,
  type GenerateRequestInit,
  GenerateRequestSchema,
  type GenerateResponse,
  type InferenceClient,
} from "@modelwire/core";
import { createSyntheticEngine } from "@modelwire/engine";
import { Ajv2020 } from "ajv/dist/2020.js";
import { Ollama } from "ollama";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type Gateway, startGateway } from "./index.js";
import { ADDRESS_OF, CLIENT_KINDS, failureOf, makeClient, runChat, runGenerate } from "./test-support/clients.js";

const KNOBS = { seed: 5, tokens: 12 };
let gw: Gateway;
const clients: Partial<Record<(typeof CLIENT_KINDS)[number], InferenceClient>> = {};

beforeAll(async () => {
  gw = await startGateway({ httpPort: 0, connectPort: 0, mcpPort: 0, adminPort: 0, ...KNOBS });
  for (const kind of CLIENT_KINDS) clients[kind] = makeClient(kind, gw.url(ADDRESS_OF[kind])!);
});
afterAll(async () => {
  await Promise.allSettled(Object.values(clients).map((c) => c.close()));
  await gw?.close({ graceMs: 0 });
});

const engine = createSyntheticEngine(KNOBS);

describe("stop sequences on every wire", () => {
  const prompt = "stop sequences, please";
  const all = engine.expectedGenerate(create(GenerateRequestSchema, { model: "synthetic", prompt }));
  const full = all.join("");
  // A stop sequence spanning the boundary between tokens 3 and 4.
  const stop = `${all[3].slice(-2)}${all[4].slice(0, 2)}`;
  const before = full.slice(0, full.indexOf(stop));

  it.each(CLIENT_KINDS)("%s: ends before the stop sequence with done_reason stop", async (kind) => {
    const req = { model: "synthetic", prompt, options: { stop: [stop] } };
    const expected = engine.expectedGenerate(create(GenerateRequestSchema, req));
    const r = await runGenerate(clients[kind]!, req, expected);
    expect(r.intact).toBe(true);
    expect(r.tokens.join("")).toBe(before);
    expect(r.doneReason).toBe("stop");
  });

  it("the ollama npm client: streamed and joined replies end before the stop text", async () => {
    const ollama = new Ollama({ host: gw.url("http") });
    const parts: string[] = [];
    let reason: string | undefined;
    for await (const c of await ollama.generate({
      model: "synthetic",
      prompt,
      options: { stop: [stop] },
      stream: true,
    })) {
      parts.push(String(c.response));
      if (c.done) reason = c.done_reason;
    }
    expect(parts.join("")).toBe(before);
    expect(reason).toBe("stop");
    const joined = await ollama.generate({ model: "synthetic", prompt, options: { stop: [stop] }, stream: false });
    expect(joined.response).toBe(before);
    expect(joined.done_reason).toBe("stop");
    const chat = await ollama.chat({
      model: "synthetic",
      messages: [{ role: "user", content: prompt }],
      options: { stop: [" "] },
      stream: false,
    });
    expect(chat.message.content).not.toContain(" ");
    expect(chat.done_reason).toBe("stop");
  });
});

const PERSON = {
  type: "object",
  properties: {
    name: { type: "string", minLength: 2 },
    age: { type: "integer", minimum: 0, maximum: 120 },
    role: { enum: ["admin", "user"] },
    tags: { type: "array", items: { type: "string" }, maxItems: 3 },
  },
  required: ["name", "age", "role"],
  additionalProperties: false,
};
const ajv = new Ajv2020({ strict: false });
const CONTRADICTORY = { type: "integer", minimum: 10, maximum: 1 };

describe("format on every wire", () => {
  it.each(CLIENT_KINDS)(
    '%s: "json" and a schema give valid documents; an impossible schema is InvalidArgument naming format',
    async (kind) => {
      const c = clients[kind]!;
      const json = { model: "synthetic", prompt: `json over ${kind}`, format: '"json"' };
      const g = await runGenerate(c, json, engine.expectedGenerate(create(GenerateRequestSchema, json)));
      expect(g.intact).toBe(true);
      expect(typeof JSON.parse(g.tokens.join(""))).toBe("object");
      const chat = { model: "synthetic", messages: [{ role: "user", content: kind }], format: JSON.stringify(PERSON) };
      const ch = await runChat(c, chat, []);
      expect(ajv.validate(PERSON, JSON.parse(ch.tokens.join("")))).toBe(true);
      expect(ch.doneReason).toBe("stop");
      const bad = await failureOf(() =>
        runGenerate(c, { model: "synthetic", prompt: "x", format: JSON.stringify(CONTRADICTORY) }, []),
      );
      expect(bad.code).toBe(Code.InvalidArgument);
      expect(bad.rawMessage).toMatch(/^format: /);
    },
  );

  it("the ollama npm client: format json and a schema parse with JSON.parse (what json.loads does in Python)", async () => {
    const ollama = new Ollama({ host: gw.url("http") });
    const r = await ollama.generate({ model: "synthetic", prompt: "json please", format: "json", stream: false });
    expect(typeof JSON.parse(String(r.response))).toBe("object");
    const chat = await ollama.chat({
      model: "synthetic",
      messages: [{ role: "user", content: "a person" }],
      format: PERSON,
      stream: false,
    });
    expect(ajv.validate(PERSON, JSON.parse(chat.message.content))).toBe(true);
  });

  it("raw HTTP: an impossible schema is a 400 whose error names format", async () => {
    const res = await fetch(`${gw.url("http")}/api/generate`, {
      method: "POST",
      body: JSON.stringify({ model: "synthetic", prompt: "x", format: CONTRADICTORY }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string };
    expect(body.error).toMatch(/^format: .*bounds/);
  });

  it("LangChain JS: ChatOllama with format json, and withStructuredOutput of a zod schema", async () => {
    const llm = new ChatOllama({ baseUrl: gw.url("http"), model: "synthetic", format: "json" });
    const msg = await llm.invoke("Answer in JSON.");
    expect(typeof JSON.parse(String(msg.content))).toBe("object");
    const Person = z.object({ name: z.string(), age: z.number().int().min(0), admin: z.boolean() });
    const structured = new ChatOllama({ baseUrl: gw.url("http"), model: "synthetic" }).withStructuredOutput(Person);
    const person = await structured.invoke("Describe a person.");
    expect(Person.safeParse(person).success).toBe(true);
  });
});

async function lastChunk(c: InferenceClient, req: GenerateRequestInit): Promise<{ n: number; last: GenerateResponse }> {
  let n = 0;
  let last: GenerateResponse | undefined;
  for await (const chunk of c.generate(req)) {
    n++;
    last = chunk;
  }
  return { n, last: last! };
}
const loaded = async (c: InferenceClient) => (await c.running()).models.map((m) => m.name);

describe("load, unload and /api/ps on every wire", () => {
  let slow: Gateway;
  const slowClients: InferenceClient[] = [];
  beforeAll(async () => {
    slow = await startGateway({ httpPort: 0, connectPort: 0, mcpPort: 0, adminPort: 0, tokens: 2, loadMs: 60 });
  });
  afterAll(async () => {
    await Promise.allSettled(slowClients.map((c) => c.close()));
    await slow?.close({ graceMs: 0 });
  });

  it.each(CLIENT_KINDS)(
    "%s: empty prompt loads, keep_alive 0 unloads, the first call after pays --load-ms",
    async (kind) => {
      const c = makeClient(kind, slow.url(ADDRESS_OF[kind])!);
      slowClients.push(c);
      const model = "synthetic:7b";
      const unload = await lastChunk(c, { model, prompt: "", keepAlive: { seconds: 0n } });
      expect(unload).toMatchObject({ n: 1, last: { done: true, doneReason: "unload" } });
      expect(await loaded(c)).not.toContain(model);
      const load = await lastChunk(c, { model, prompt: "" });
      expect(load).toMatchObject({ n: 1, last: { done: true, doneReason: "load", response: "" } });
      const ps = (await c.running()).models.find((m) => m.name === model)!;
      expect(ps).toMatchObject({ contextLength: 4096 });
      expect(ps.sizeVram).toBe(ps.size);
      expect(Number(ps.expiresAt!.seconds) * 1000).toBeGreaterThan(Date.now() + 4 * 60_000);
      // Loaded now: no load time. Unloaded again: the next call pays the load.
      const warm = await lastChunk(c, { model, prompt: `warm ${kind}` });
      expect(warm.last.metrics?.loadDuration).toBe(0n);
      await lastChunk(c, { model, prompt: "", keepAlive: { seconds: 0n } });
      const cold = await lastChunk(c, { model, prompt: `cold ${kind}` });
      expect(Number(cold.last.metrics?.loadDuration) / 1e6).toBeGreaterThanOrEqual(59);
      expect(cold.last.doneReason).toBe("stop");
      // Chat with no messages loads too.
      let reason = "";
      for await (const ch of c.chat({ model, messages: [] })) reason = ch.doneReason;
      expect(reason).toBe("load");
    },
  );

  it("the ollama npm client: load, ps (expires_at, size_vram, context_length), unload", async () => {
    const ollama = new Ollama({ host: slow.url("http") });
    const load = await ollama.generate({ model: "synthetic", prompt: "" });
    expect(load).toMatchObject({ response: "", done: true, done_reason: "load" });
    const ps = await ollama.ps();
    const entry = ps.models.find((m) => m.name === "synthetic:latest") as unknown as Record<string, unknown>;
    expect(entry).toMatchObject({ size_vram: expect.any(Number), context_length: 4096 });
    expect(new Date(String(entry.expires_at)).getTime()).toBeGreaterThan(Date.now() + 4 * 60_000);
    const forever = await ollama.chat({ model: "synthetic", messages: [], keep_alive: -1 });
    expect(forever.done_reason).toBe("load");
    const again = (await ollama.ps()).models.find((m) => m.name === "synthetic:latest")!;
    expect(new Date(String(again.expires_at)).getUTCFullYear()).toBeGreaterThan(2300);
    const unload = await ollama.generate({ model: "synthetic", prompt: "", keep_alive: 0 });
    expect(unload.done_reason).toBe("unload");
    expect((await ollama.ps()).models.map((m) => m.name)).not.toContain("synthetic:latest");
  });

  it("raw HTTP: the load reply is one JSON object (not NDJSON) with exactly Ollama's keys", async () => {
    const res = await fetch(`${slow.url("http")}/api/generate`, {
      method: "POST",
      body: JSON.stringify({ model: "synthetic" }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["created_at", "done", "done_reason", "model", "response"]);
    expect(body).toMatchObject({ model: "synthetic", response: "", done: true, done_reason: "load" });
    const chat = await fetch(`${slow.url("http")}/api/chat`, {
      method: "POST",
      body: JSON.stringify({ model: "synthetic", messages: [], keep_alive: 0 }),
    });
    expect(await chat.json()).toMatchObject({ message: { role: "assistant", content: "" }, done_reason: "unload" });
  });
});

describe("embeddings on any model", () => {
  it.each(CLIENT_KINDS)("%s: a completion model embeds; an empty input loads and embeds nothing", async (kind) => {
    const c = clients[kind]!;
    const r = await c.embed({ model: "synthetic", input: ["a", "b"] });
    expect(r.embeddings.map((e) => e.values.length)).toEqual([2048, 2048]);
    const none = await c.embed({ model: "synthetic:7b", input: [] });
    expect(none.embeddings).toEqual([]);
    expect((await c.running()).models.map((m) => m.name)).toContain("synthetic:7b");
  });

  it('the ollama npm client: /api/embed and /api/embeddings on a completion model, input "" and prompt ""', async () => {
    const ollama = new Ollama({ host: gw.url("http") });
    const e = await ollama.embed({ model: "synthetic", input: "hello" });
    expect(e.embeddings[0]).toHaveLength(2048);
    expect((await ollama.embed({ model: "synthetic", input: "" })).embeddings).toEqual([]);
    expect((await ollama.embeddings({ model: "synthetic", prompt: "hello" })).embedding).toHaveLength(2048);
    expect((await ollama.embeddings({ model: "synthetic", prompt: "" })).embedding).toEqual([]);
  });

  it("LangChain JS: OllamaEmbeddings on a completion model", async () => {
    const emb = new OllamaEmbeddings({ baseUrl: gw.url("http"), model: "synthetic:7b" });
    expect(await emb.embedQuery("hello")).toHaveLength(3584);
    const docs = await emb.embedDocuments(["a", "b"]);
    expect(docs.map((d) => d.length)).toEqual([3584, 3584]);
  });
});
