import { create } from "@bufbuild/protobuf";
import { ChatRequestSchema, GenerateRequestSchema, type ServerObserver } from "@modelwire/core";
import { createAdmission, guardEngine } from "@modelwire/engine";
import { Ollama } from "ollama";
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { eventually, type Harness, startHarness } from "../test-support/harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const openai = (url: string, apiKey = "unused") => new OpenAI({ baseURL: `${url}/v1`, apiKey, maxRetries: 0 });
const hi = [{ role: "user" as const, content: "hello there" }];

/** The ChatRequest the server maps an OpenAI chat body onto, for the engine's expected tokens. */
const chatOf = (model: string, messages: Array<{ role: string; content: string }>, seed?: number) =>
  create(ChatRequestSchema, { model, messages, options: seed === undefined ? undefined : { seed: BigInt(seed) } });

describe("the official openai npm client against our server", () => {
  it("streams a chat completion token by token, then finish_reason and the usage chunk", async () => {
    h = await startHarness({ tokens: 9 });
    const expected = h.engine.expectedChat(chatOf("synthetic", hi, 5));
    const stream = await openai(h.url).chat.completions.create({
      model: "synthetic",
      messages: hi,
      seed: 5,
      stream: true,
      stream_options: { include_usage: true },
    });
    const deltas: string[] = [];
    const roles: Array<string | undefined> = [];
    const finish: Array<string | null> = [];
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      expect(chunk.object).toBe("chat.completion.chunk");
      expect(chunk.id).toMatch(/^chatcmpl-/);
      if (chunk.usage) usage = chunk.usage;
      for (const c of chunk.choices) {
        roles.push(c.delta.role);
        if (c.delta.content) deltas.push(c.delta.content);
        finish.push(c.finish_reason);
      }
    }
    expect(deltas).toEqual(expected);
    expect(roles[0]).toBe("assistant");
    expect(roles.slice(1).every((r) => r === undefined)).toBe(true);
    expect(finish.at(-1)).toBe("stop");
    // "user: hello there" is three prompt words for the synthetic engine.
    expect(usage).toEqual({ prompt_tokens: 3, completion_tokens: 9, total_tokens: 12 });
  });

  it("answers a chat completion without streaming, with usage; max_tokens ends it with length", async () => {
    h = await startHarness({ tokens: 6 });
    const expected = h.engine.expectedChat(chatOf("synthetic", hi));
    const reply = await openai(h.url).chat.completions.create({ model: "synthetic", messages: hi });
    expect(reply.object).toBe("chat.completion");
    expect(reply.choices).toHaveLength(1);
    expect(reply.choices[0].message).toMatchObject({ role: "assistant", content: expected.join("") });
    expect(reply.choices[0].finish_reason).toBe("stop");
    expect(reply.usage).toEqual({ prompt_tokens: 3, completion_tokens: 6, total_tokens: 9 });
    const short = await openai(h.url).chat.completions.create({ model: "synthetic", messages: hi, max_tokens: 2 });
    expect(short.choices[0].message.content).toBe(expected.slice(0, 2).join(""));
    expect(short.choices[0].finish_reason).toBe("length");
    expect(short.usage?.completion_tokens).toBe(2);
  });

  it("gives the same text as /api/chat for the same seed and prompt", async () => {
    h = await startHarness({ tokens: 12 });
    const messages = [
      { role: "system" as const, content: "be brief" },
      { role: "user" as const, content: "what is a wire protocol?" },
    ];
    const viaOllama = await new Ollama({ host: h.url }).chat({
      model: "synthetic:7b",
      messages,
      options: { seed: 77 },
    });
    const viaOpenAI = await openai(h.url).chat.completions.create({ model: "synthetic:7b", messages, seed: 77 });
    expect(viaOpenAI.choices[0].message.content).toBe(viaOllama.message.content);
    expect(viaOpenAI.choices[0].message.content?.length).toBeGreaterThan(0);
  });

  it("streams and answers legacy completions", async () => {
    h = await startHarness({ tokens: 5 });
    const expected = h.engine.expectedGenerate(
      create(GenerateRequestSchema, { model: "synthetic", prompt: "once upon", suffix: "end" }),
    );
    const client = openai(h.url);
    const stream = await client.completions.create({
      model: "synthetic",
      prompt: "once upon",
      suffix: "end",
      stream: true,
      stream_options: { include_usage: true },
    });
    const texts: string[] = [];
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      expect(chunk.object).toBe("text_completion");
      if (chunk.usage) usage = chunk.usage;
      for (const c of chunk.choices) {
        if (c.text) texts.push(c.text);
        if (c.finish_reason) finish = c.finish_reason;
      }
    }
    expect(texts).toEqual(expected);
    expect(finish).toBe("stop");
    expect(usage?.completion_tokens).toBe(5);
    const one = await client.completions.create({ model: "synthetic", prompt: "once upon", suffix: "end" });
    expect(one.choices[0].text).toBe(expected.join(""));
    expect(one.usage?.total_tokens).toBe((usage?.prompt_tokens ?? 0) + 5);
  });

  it("aborting mid-stream stops the engine and frees its slot", async () => {
    const admission = createAdmission({ maxInFlight: 1 });
    h = await startHarness({ tokens: 100_000, interTokenMs: 2 }, {}, (e) => guardEngine(e, admission));
    const controller = new AbortController();
    const stream = await openai(h.url).chat.completions.create(
      { model: "synthetic", messages: hi, stream: true },
      { signal: controller.signal },
    );
    let seen = 0;
    // The client ends the iteration quietly once its own signal aborted it (after the chunks it had buffered).
    for await (const _ of stream) if (++seen === 3) controller.abort();
    expect(seen).toBeGreaterThanOrEqual(3);
    expect(seen).toBeLessThan(100_000);
    expect(controller.signal.aborted).toBe(true);
    // Counted however the server learns it: the engine's wait seeing the signal, or the server seeing the socket
    // gone while it writes and returning the engine's stream (which counts the cancel itself).
    const settled = () => {
      const s = h!.engine.stats();
      return s.inFlight === 0 && s.cancelled === 1 && admission.stats().inFlight === 0;
    };
    expect(await eventually(settled)).toBe(true);
    expect(h.engine.stats()).toMatchObject({ requests: 1, cancelled: 1, errors: 0 });
    // The slot is free: the next call is admitted.
    const next = await openai(h.url).chat.completions.create({ model: "synthetic", messages: hi, max_tokens: 1 });
    expect(next.choices[0].finish_reason).toBe("length");
  });

  it("answers 503 (api_error) when the engine is busy, as Ollama does", async () => {
    const admission = createAdmission({ maxInFlight: 1, maxQueue: 0 });
    h = await startHarness({ tokens: 100_000, interTokenMs: 5 }, {}, (e) => guardEngine(e, admission));
    const controller = new AbortController();
    const holder = await openai(h.url).chat.completions.create(
      { model: "synthetic", messages: hi, stream: true },
      { signal: controller.signal },
    );
    const it1 = holder[Symbol.asyncIterator]();
    await it1.next();
    const busy = await openai(h.url)
      .chat.completions.create({ model: "synthetic", messages: hi })
      .catch((e) => e);
    expect(busy).toBeInstanceOf(OpenAI.APIError);
    expect(busy.status).toBe(503);
    expect(busy.type).toBe("api_error");
    expect(busy.code).toBe("resource_exhausted");
    controller.abort();
    await it1.next().catch(() => {});
  });

  it("embeds, as floats and as the base64 the client asks for by default", async () => {
    h = await startHarness({ embedDimensions: 32 });
    const client = openai(h.url);
    const floats = await client.embeddings.create({
      model: "synthetic-embed",
      input: ["a", "b"],
      encoding_format: "float",
    });
    expect(floats.object).toBe("list");
    expect(floats.data.map((d) => d.index)).toEqual([0, 1]);
    expect(floats.data[0].embedding).toHaveLength(32);
    const direct = await h.engine.embed(
      create((await import("@modelwire/core")).EmbedRequestSchema, { model: "synthetic-embed", input: ["a", "b"] }),
      { signal: new AbortController().signal },
    );
    expect(floats.data[1].embedding).toEqual([...direct.embeddings[1].values]);
    const decoded = await client.embeddings.create({ model: "synthetic-embed", input: "a" });
    expect(decoded.data[0].embedding).toEqual(floats.data[0].embedding);
    expect(floats.usage.prompt_tokens).toBeGreaterThan(0);
  });

  it("lists and retrieves models; an unknown model is a 404 not_found_error", async () => {
    h = await startHarness();
    const client = openai(h.url);
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toContain("synthetic:latest");
    const m = await client.models.retrieve("synthetic:7b");
    expect(m).toMatchObject({ id: "synthetic:7b", object: "model", owned_by: "library" });
    expect(m.created).toBeGreaterThan(0);
    await expect(client.models.retrieve("nope")).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const chat = await client.chat.completions.create({ model: "nope", messages: hi }).catch((e) => e);
    expect(chat).toBeInstanceOf(OpenAI.NotFoundError);
    expect(chat.type).toBe("not_found_error");
    expect(chat.message).toContain("nope");
  });

  it("refuses bad parameters with a 400 naming the field", async () => {
    h = await startHarness();
    const client = openai(h.url);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ temperature: 5 }, "temperature"],
      [{ n: 2 }, "n"],
      [{ max_tokens: -3 }, "max_tokens"],
      [{ stop: [1] }, "stop[0]"],
      [{ response_format: { type: "yaml" } }, "response_format.type"],
    ];
    for (const [extra, param] of cases) {
      const e = await client.chat.completions
        .create({ model: "synthetic", messages: hi, ...extra } as never)
        .catch((err) => err);
      expect(e, param).toBeInstanceOf(OpenAI.BadRequestError);
      expect(e.param).toBe(param);
      expect(e.type).toBe("invalid_request_error");
    }
    // An embedding model cannot chat (every model embeds, as in Ollama).
    const emb = await client.chat.completions.create({ model: "synthetic-embed", messages: hi }).catch((e) => e);
    expect(emb).toBeInstanceOf(OpenAI.BadRequestError);
    expect(emb.param).toBe("model");
  });

  it("with --auth-token: 401 without the key, served with it", async () => {
    h = await startHarness({ tokens: 2 }, { authToken: "s3cret" });
    await expect(openai(h.url, "wrong").models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const e = await openai(h.url, "wrong")
      .chat.completions.create({ model: "synthetic", messages: hi })
      .catch((err) => err);
    expect(e.status).toBe(401);
    expect(e.code).toBe("unauthenticated");
    const ok = await openai(h.url, "s3cret").chat.completions.create({ model: "synthetic", messages: hi });
    expect(ok.choices[0].message.content?.length).toBeGreaterThan(0);
  });

  it("reports its calls to the observer under the protocol label openai", async () => {
    const seen: string[] = [];
    let tokens = 0;
    const observer: ServerObserver = {
      callStarted: (protocol, method) => {
        seen.push(`${protocol}/${method}`);
        return { chunk: () => tokens++, end() {} };
      },
    };
    h = await startHarness({ tokens: 4 }, { observer });
    const client = openai(h.url);
    for await (const _ of await client.chat.completions.create({ model: "synthetic", messages: hi, stream: true })) {
      // drain
    }
    await client.completions.create({ model: "synthetic", prompt: "x" });
    await client.models.list();
    expect(seen).toEqual(["openai/chat", "openai/generate", "openai/list"]);
    expect(tokens).toBe(8);
  });
});
