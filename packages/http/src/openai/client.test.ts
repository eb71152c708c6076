import { create } from "@bufbuild/protobuf";
import { ChatRequestSchema, Code, type GenerateRequestInit, GenerateRequestSchema } from "@modelwire/core";
import { createAdmission, guardEngine } from "@modelwire/engine";
import { type StandIn, startStandIn } from "@modelwire/test-kit/standin";
import { afterEach, describe, expect, it } from "vitest";
import { drain, eventually, failure, type Harness, startHarness } from "../test-support/harness.js";
import { createOpenAIClient, type OpenAIClient } from "./client.js";

let h: Harness | undefined;
let s: StandIn | undefined;
let c: OpenAIClient | undefined;
afterEach(async () => {
  await c?.close();
  await h?.stop();
  await s?.close();
  c = h = s = undefined;
});

describe("the OpenAI client against modelwire's server", () => {
  it("streams generate over /v1/completions, every token as the synthetic engine planned, then one done chunk", async () => {
    h = await startHarness({ tokens: 11 });
    c = createOpenAIClient({ baseUrl: `${h.url}/v1`, retries: 0 });
    const req: GenerateRequestInit = { model: "synthetic", prompt: "say something", options: { seed: 9n } };
    const expected = h.engine.expectedGenerate(create(GenerateRequestSchema, req));
    const chunks = await drain(c.generate(req));
    const content = chunks.filter((x) => !x.done);
    expect(content.map((x) => x.response)).toEqual(expected);
    expect(content[0].model).toMatch(/^synthetic/);
    expect(content[0].createdAt).toBeDefined();
    const done = chunks.at(-1)!;
    expect(done.done).toBe(true);
    expect(done.doneReason).toBe("stop");
    expect(done.metrics?.evalCount).toBe(11);
    expect(chunks.filter((x) => x.done)).toHaveLength(1);
    const limited = await drain(c.generate({ ...req, options: { numPredict: 3 } }));
    expect(limited.at(-1)?.doneReason).toBe("length");
    expect(limited.filter((x) => !x.done)).toHaveLength(3);
  });

  it("streams chat, embeds, lists and shows", async () => {
    h = await startHarness({ tokens: 5, embedDimensions: 8 });
    c = createOpenAIClient({ baseUrl: `${h.url}/v1/` });
    const chat = { model: "synthetic", messages: [{ role: "user", content: "hi" }] };
    const expected = h.engine.expectedChat(create(ChatRequestSchema, chat));
    const chunks = await drain(c.chat(chat));
    expect(chunks.filter((x) => !x.done).map((x) => x.message?.content)).toEqual(expected);
    expect(chunks.at(-1)).toMatchObject({ done: true, doneReason: "stop" });
    const emb = await c.embed({ model: "synthetic-embed", input: ["a", "b"], dimensions: 4 });
    expect(emb.embeddings.map((e) => e.values.length)).toEqual([4, 4]);
    const direct = await h.engine.embed(
      create((await import("@modelwire/core")).EmbedRequestSchema, {
        model: "synthetic-embed",
        input: ["b"],
        dimensions: 4,
      }),
      { signal: new AbortController().signal },
    );
    expect(emb.embeddings[1].values).toEqual(direct.embeddings[0].values);
    expect((await c.list()).models.map((m) => m.name)).toContain("synthetic:7b");
    expect((await c.show({ model: "synthetic:7b" })).modifiedAt).toBeDefined();
    expect((await failure(c.running())).code).toBe(Code.Unimplemented);
    expect((await failure(c.version())).code).toBe(Code.Unimplemented);
    expect(c.stats()).toMatchObject({ transport: "openai" });
  });

  it("reads the server's errors with their codes and fields", async () => {
    const admission = createAdmission({ maxInFlight: 1, maxQueue: 0 });
    h = await startHarness({ tokens: 100_000, interTokenMs: 5 }, { authToken: "k" }, (e) => guardEngine(e, admission));
    const noKey = createOpenAIClient({ baseUrl: `${h.url}/v1` });
    expect((await failure(noKey.list())).code).toBe(Code.Unauthenticated);
    await noKey.close();
    c = createOpenAIClient({ baseUrl: `${h.url}/v1`, apiKey: "k", retries: 0 });
    expect((await failure(drain(c.generate({ model: "nope", prompt: "x" })))).code).toBe(Code.NotFound);
    const bad = await failure(drain(c.generate({ model: "synthetic", prompt: "x", options: { temperature: 9 } })));
    expect(bad.code).toBe(Code.InvalidArgument);
    expect(bad.metadata.field).toBe("temperature");
    // A held slot: the next call is refused as busy.
    const holder = c.generate({ model: "synthetic", prompt: "hold" })[Symbol.asyncIterator]();
    await holder.next();
    expect((await failure(drain(c.generate({ model: "synthetic", prompt: "x" })))).code).toBe(Code.ResourceExhausted);
    await holder.return?.();
    expect(await eventually(() => admission.stats().inFlight === 0)).toBe(true);
  });

  it("cancels: an aborted call fails with Canceled and the engine's slot is freed", async () => {
    h = await startHarness({ tokens: 100_000, interTokenMs: 2 });
    c = createOpenAIClient({ baseUrl: `${h.url}/v1` });
    const ac = new AbortController();
    let n = 0;
    const err = await failure(async () => {
      for await (const _ of c!.generate({ model: "synthetic", prompt: "long" }, { signal: ac.signal })) {
        if (++n === 3) ac.abort();
      }
    });
    expect(err.code).toBe(Code.Canceled);
    expect(await eventually(() => h!.engine.stats().inFlight === 0 && h!.engine.stats().cancelled === 1)).toBe(true);
  });

  it("refuses request fields the OpenAI API cannot carry, naming them", async () => {
    c = createOpenAIClient({ baseUrl: "http://127.0.0.1:9/v1", retries: 0 });
    for (const [req, field] of [
      [{ model: "m", prompt: "x", system: "s" }, "system"],
      [{ model: "m", prompt: "x", images: [new Uint8Array([1])] }, "images"],
      [{ model: "m", prompt: "x", options: { topK: 3 } }, "options.top_k"],
    ] as const) {
      const e = await failure(drain(c.generate(req as GenerateRequestInit)));
      expect(e.code).toBe(Code.InvalidArgument);
      expect(e.metadata.field).toBe(field);
    }
    expect(() => createOpenAIClient({ baseUrl: "ftp://x" })).toThrow(/http/);
  });
});

describe("the OpenAI client against a stand-in OpenAI-compatible server", () => {
  it("collects tool calls streamed in fragments, reads usage, and takes CRLF, comments and split events", async () => {
    s = await startStandIn({
      lineEnding: "\r\n",
      awkwardFraming: true,
      script: () => ({
        tokens: ["Let me", " check."],
        toolCalls: [{ id: "call_9", name: "get_weather", argumentPieces: ['{"ci', 'ty": "Os', 'lo"}'] }],
      }),
    });
    c = createOpenAIClient({ baseUrl: `${s.url}/v1`, apiKey: "whatever" });
    const chunks = await drain(
      c.chat({
        model: "standin",
        messages: [{ role: "user", content: "weather?" }],
        tools: [{ type: "function", function: { name: "get_weather" } }],
      }),
    );
    expect(chunks.filter((x) => x.message?.content).map((x) => x.message?.content)).toEqual(["Let me", " check."]);
    const calls = chunks.flatMap((x) => x.message?.toolCalls ?? []);
    expect(calls).toHaveLength(1);
    expect(calls[0].function).toMatchObject({ name: "get_weather", arguments: { city: "Oslo" } });
    const done = chunks.at(-1)!;
    expect(done).toMatchObject({ done: true, doneReason: "stop" });
    expect(done.metrics).toMatchObject({ promptEvalCount: 1, evalCount: 2 });
    const sent = s.requests.find((r) => r.path === "/v1/chat/completions")?.body;
    expect(sent).toMatchObject({ stream: true, stream_options: { include_usage: true }, model: "standin" });
  });

  it("a stream cut before [DONE] is Aborted, an error event fails with its message, 429 is ResourceExhausted", async () => {
    s = await startStandIn({
      script: (b) =>
        b.prompt === "cut" ? { tokens: ["a", "b"], truncateAfter: 1 } : { tokens: ["a", "b"], failAfter: 1 },
    });
    c = createOpenAIClient({ baseUrl: `${s.url}/v1`, retries: 0 });
    const seen: string[] = [];
    const cut = await failure(async () => {
      for await (const x of c!.generate({ model: "standin", prompt: "cut" })) seen.push(x.response);
    });
    expect(cut.code).toBe(Code.Aborted);
    expect(seen).toEqual(["a"]);
    const failed = await failure(drain(c.generate({ model: "standin", prompt: "fail" })));
    expect(failed.rawMessage).toBe("the stand-in failed");
    expect((await failure(drain(c.generate({ model: "gpt-nope", prompt: "x" })))).code).toBe(Code.NotFound);
    await c.close();
    await s.close();
    s = await startStandIn({ failStatus: 429 });
    c = createOpenAIClient({ baseUrl: `${s.url}/v1`, retries: 0 });
    expect((await failure(drain(c.generate({ model: "standin", prompt: "x" })))).code).toBe(Code.ResourceExhausted);
  });
});
