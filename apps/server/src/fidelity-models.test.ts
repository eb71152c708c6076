/**
 * Issue 15, item 5: the smaller Ollama divergences, on every wire the gateway serves (HTTP, Connect/gRPC, MCP) and
 * with the stock clients (`ollama` npm, LangChain JS) or raw HTTP where a client hides the detail: model names match
 * case-insensitively, `think` on a model without the capability is refused and a thinking model streams `thinking`
 * first, the final generate chunk carries `context` unless `raw`, `show` reports `<arch>.context_length`,
 * `<arch>.embedding_length` and a parameter count that agrees with `parameter_size`, and `GET|HEAD /` stay open with
 * a token.
 */
import { create } from "@bufbuild/protobuf";
import { ChatOllama } from "@langchain/ollama";
import { Code, GenerateRequestSchema, type InferenceClient } from "@modelwire/core";
import { createSyntheticEngine } from "@modelwire/engine";
import { Ollama } from "ollama";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Gateway, startGateway } from "./index.js";
import { ADDRESS_OF, CLIENT_KINDS, failureOf, makeClient, runGenerate } from "./test-support/clients.js";

const KNOBS = { seed: 9, tokens: 6 };
const engine = createSyntheticEngine(KNOBS);
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

/**
 * Checks a parameter count against Ollama's rounded `parameter_size` ("7.6B", "137M", "12K"): the count rounds to
 * it at the size's own precision.
 */
function expectAgrees(count: number, size: string | undefined): void {
  const hit = /^(\d+)(?:\.(\d+))?([KMB])$/.exec(size ?? "");
  expect(hit, `parameter_size ${size}`).not.toBeNull();
  const unit = { K: 1e3, M: 1e6, B: 1e9 }[hit![3] as "K" | "M" | "B"];
  const decimals = hit![2]?.length ?? 0;
  const shown = Number(`${hit![1]}.${hit![2] ?? "0"}`);
  expect(Math.abs(count / unit - shown)).toBeLessThanOrEqual(0.5 * 10 ** -decimals + 1e-9);
  expect(count).toBeGreaterThan(0);
}

/** The thinking and content texts, the final `context`, of a generate stream. */
async function streamed(c: InferenceClient, req: Parameters<InferenceClient["generate"]>[0]) {
  const thinking: string[] = [];
  const content: string[] = [];
  let context: number[] = [];
  let order = "";
  for await (const chunk of c.generate(req)) {
    if (chunk.thinking) {
      thinking.push(chunk.thinking);
      expect(chunk.response).toBe("");
      order += "t";
    }
    if (chunk.response) {
      content.push(chunk.response);
      order += "c";
    }
    if (chunk.done) context = [...chunk.context];
  }
  return { thinking, content, context, order };
}

describe("model names, think, context and show on every wire", () => {
  it.each(CLIENT_KINDS)("%s: a model name in any case is the same model, with the same output", async (kind) => {
    const c = clients[kind]!;
    const req = { model: "synthetic", prompt: `names over ${kind}` };
    const expected = engine.expectedGenerate(create(GenerateRequestSchema, req));
    const r = await runGenerate(c, { ...req, model: "SYNTHETIC:Latest" }, expected);
    expect(r.intact).toBe(true);
    expect(r.tokens).toEqual(expected);
    expect((await c.show({ model: "Synthetic:7B" })).details?.parameterSize).toBe("7.6B");
  });

  it.each(CLIENT_KINDS)(
    '%s: think on a model without the capability is InvalidArgument "does not support thinking"; a thinking model streams thinking first',
    async (kind) => {
      const c = clients[kind]!;
      const refused = await failureOf(() =>
        runGenerate(c, { model: "synthetic", prompt: "x", think: { value: { case: "enabled", value: true } } }, []),
      );
      expect(refused.code).toBe(Code.InvalidArgument);
      expect(refused.rawMessage).toContain('"synthetic" does not support thinking');
      const level = await failureOf(() =>
        runGenerate(c, { model: "synthetic", prompt: "x", think: { value: { case: "level", value: "high" } } }, []),
      );
      expect(level.code).toBe(Code.InvalidArgument);
      // think: false on a model without the capability is fine.
      const off = await streamed(c, {
        model: "synthetic",
        prompt: "x",
        think: { value: { case: "enabled", value: false } },
      });
      expect(off.thinking).toEqual([]);

      const req = { model: "synthetic-think", prompt: `think over ${kind}` };
      const r = await streamed(c, req);
      expect(r.thinking.length).toBe(Math.ceil(KNOBS.tokens / 2));
      expect(r.order).toMatch(/^t+c+$/);
      expect(r.content).toEqual(engine.expectedGenerate(create(GenerateRequestSchema, req)));
      // think: false turns it off: all the budget is content.
      const plain = await streamed(c, { ...req, think: { value: { case: "enabled", value: false } } });
      expect(plain.thinking).toEqual([]);
      expect(plain.content).toHaveLength(KNOBS.tokens);
    },
  );

  it.each(CLIENT_KINDS)(
    "%s: the final generate chunk carries context unless raw, and context continues",
    async (kind) => {
      const c = clients[kind]!;
      const first = await streamed(c, { model: "synthetic", prompt: "one two three" });
      // The prompt's three words, then one id per generated token.
      expect(first.context).toHaveLength(3 + KNOBS.tokens);
      for (const id of first.context) expect(Number.isInteger(id) && id >= 0).toBe(true);
      const again = await streamed(c, { model: "synthetic", prompt: "one two three" });
      expect(again.context).toEqual(first.context);
      const next = await streamed(c, { model: "synthetic", prompt: "four", context: first.context });
      expect(next.context.slice(0, first.context.length)).toEqual(first.context);
      expect(next.context).toHaveLength(first.context.length + 1 + KNOBS.tokens);
      const raw = await streamed(c, { model: "synthetic", prompt: "one two three", raw: true });
      expect(raw.context).toEqual([]);
      // A load reply carries none.
      expect((await streamed(c, { model: "synthetic", prompt: "" })).context).toEqual([]);
    },
  );

  it.each(CLIENT_KINDS)(
    "%s: show's model_info has <arch>.context_length and .embedding_length; its parameter count is parameter_size",
    async (kind) => {
      const c = clients[kind]!;
      for (const name of ["synthetic", "synthetic:7b", "synthetic-think", "synthetic-embed"]) {
        const s = await c.show({ model: name });
        const info = s.modelInfo as Record<string, unknown>;
        const arch = String(info["general.architecture"]);
        expect(arch).toBe(s.details?.family);
        expect(info[`${arch}.context_length`]).toEqual(expect.any(Number));
        expect(info[`${arch}.embedding_length`]).toEqual(expect.any(Number));
        expectAgrees(Number(info["general.parameter_count"]), s.details?.parameterSize);
        const width = (await c.embed({ model: name, input: ["w"] })).embeddings[0].values.length;
        expect(width).toBe(info[`${arch}.embedding_length`]);
      }
    },
  );
});

describe("the stock clients", () => {
  it("the ollama npm client: mixed-case names, think streaming and its 400, context, show's model_info", async () => {
    const ollama = new Ollama({ host: gw.url("http") });
    const reply = await ollama.generate({ model: "Synthetic", prompt: "hello there", stream: false });
    expect(reply.response).toBe(
      engine.expectedGenerate(create(GenerateRequestSchema, { model: "synthetic", prompt: "hello there" })).join(""),
    );
    expect(reply.context).toHaveLength(2 + KNOBS.tokens);
    const raw = await ollama.generate({ model: "synthetic", prompt: "hello there", raw: true, stream: false });
    expect(raw.context).toBeUndefined();

    await expect(ollama.generate({ model: "synthetic", prompt: "x", think: true })).rejects.toMatchObject({
      status_code: 400,
      error: '"synthetic" does not support thinking',
    });
    let thinking = "";
    let content = "";
    for await (const ch of await ollama.chat({
      model: "synthetic-think",
      messages: [{ role: "user", content: "why?" }],
      think: true,
      stream: true,
    })) {
      if (ch.message.thinking) {
        expect(content).toBe(""); // thinking comes first
        thinking += ch.message.thinking;
      }
      content += ch.message.content;
    }
    expect(thinking.length).toBeGreaterThan(0);
    expect(content.length).toBeGreaterThan(0);

    const show = await ollama.show({ model: "SYNTHETIC:7b" });
    // The client types model_info as a Map; on the wire (and at run time) it is a JSON object.
    const info = show.model_info as unknown as Record<string, unknown>;
    expect(info).toMatchObject({
      "general.architecture": "synthetic",
      "synthetic.context_length": 32_768,
      "synthetic.embedding_length": 3584,
    });
    expectAgrees(Number(info["general.parameter_count"]), show.details.parameter_size);
    expect(show.capabilities).toEqual(["completion"]);
    expect((await ollama.show({ model: "synthetic-think" })).capabilities).toContain("thinking");
  });

  it("LangChain JS: ChatOllama with think puts the thinking in reasoning_content; without the capability it fails", async () => {
    const thinker = new ChatOllama({ baseUrl: gw.url("http"), model: "synthetic-think", think: true });
    const msg = await thinker.invoke("Think, then answer.");
    expect(String(msg.content).length).toBeGreaterThan(0);
    expect(String(msg.additional_kwargs.reasoning_content).length).toBeGreaterThan(0);
    const plain = new ChatOllama({ baseUrl: gw.url("http"), model: "synthetic", think: true });
    await expect(plain.invoke("x")).rejects.toThrow(/does not support thinking/);
  });
});

describe("--auth-token leaves GET and HEAD / open", () => {
  let locked: Gateway;
  beforeAll(async () => {
    locked = await startGateway({ httpPort: 0, connect: false, mcp: false, adminPort: 0, authToken: "s3cret" });
  });
  afterAll(async () => locked?.close({ graceMs: 0 }));

  it("raw HTTP: / answers without the token, GET and HEAD; the API does not", async () => {
    const base = locked.url("http");
    const get = await fetch(`${base}/`);
    expect(get.status).toBe(200);
    expect(await get.text()).toBe("Ollama is running");
    const head = await fetch(`${base}/`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String("Ollama is running".length));
    expect((await fetch(`${base}/api/tags`)).status).toBe(401);
    const authed = await fetch(`${base}/api/tags`, { headers: { authorization: "Bearer s3cret" } });
    expect(authed.status).toBe(200);
  });

  it("the ollama npm client without the token: the API is refused with 401", async () => {
    await expect(new Ollama({ host: locked.url("http") }).list()).rejects.toMatchObject({ status_code: 401 });
  });
});
