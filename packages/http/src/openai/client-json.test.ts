import { create } from "@bufbuild/protobuf";
import {
  ChatRequestSchema,
  GenerateRequestSchema,
  newChatResponse,
  newGenerateResponse,
  newMetrics,
} from "@modelwire/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  chatRequestToOpenAI,
  completionRequestToOpenAI,
  createChatStreamDecoder,
  createCompletionStreamDecoder,
} from "./client-json.js";
import { createChatChunkEncoder, createCompletionChunkEncoder } from "./reply.js";
import { chatCompletionRequestFromJson, completionRequestFromJson } from "./request.js";

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a]);

describe("client requests read back by the server's mapping", () => {
  it("a chat request keeps its messages, images, tool calls, options, format, tools and think level", () => {
    const request = create(ChatRequestSchema, {
      model: "m",
      messages: [
        { role: "system", content: "sys" },
        { role: "user", content: "look", images: [PNG] },
        { role: "assistant", content: "", toolCalls: [{ function: { index: 0, name: "f", arguments: { a: 1 } } }] },
        { role: "tool", content: "42", toolName: "f" },
      ],
      options: { temperature: 0.5, topP: 0.25, seed: 3n, numPredict: 9, stop: ["x"], presencePenalty: 1 },
      format: JSON.stringify({ type: "object" }),
      tools: [{ type: "function", function: { name: "f", description: "d", parameters: { type: "object" } } }],
      think: { value: { case: "level", value: "high" } },
    });
    const back = chatCompletionRequestFromJson(JSON.parse(JSON.stringify(chatRequestToOpenAI(request)))).request;
    // Content parts become one message per part, as Ollama splits them.
    expect(back.messages.map((m) => [m.role, m.content, m.images.length, m.toolName])).toEqual([
      ["system", "sys", 0, ""],
      ["user", "look", 0, ""],
      ["user", "", 1, ""],
      ["assistant", "", 0, ""],
      ["tool", "42", 0, "f"],
    ]);
    expect(back.messages[2].images[0]).toEqual(PNG);
    expect(back.messages[3].toolCalls[0].function).toMatchObject({ name: "f", arguments: { a: 1 } });
    expect(back.options).toMatchObject({
      temperature: 0.5,
      topP: 0.25,
      seed: 3n,
      numPredict: 9,
      stop: ["x"],
      presencePenalty: 1,
    });
    expect(JSON.parse(back.format)).toEqual({ type: "object" });
    expect(back.tools[0].function?.name).toBe("f");
    expect(back.think?.value).toEqual({ case: "level", value: "high" });
    expect(back.stream).toBe(true);
  });

  it("a generate request keeps prompt, suffix and options; num_predict -1 sends no max_tokens", () => {
    const request = create(GenerateRequestSchema, {
      model: "m",
      prompt: "p",
      suffix: "s",
      options: { seed: 1n, numPredict: -1 },
    });
    const body = completionRequestToOpenAI(request);
    expect(body.max_tokens).toBeUndefined();
    const back = completionRequestFromJson(JSON.parse(JSON.stringify(body))).request;
    expect([back.prompt, back.suffix, back.options?.seed]).toEqual(["p", "s", 1n]);
    expect(chatRequestToOpenAI(create(ChatRequestSchema, { model: "m", format: '"json"' })).response_format).toEqual({
      type: "json_object",
    });
    expect(() =>
      chatRequestToOpenAI(
        create(ChatRequestSchema, { model: "m", think: { value: { case: "enabled", value: true } } }),
      ),
    ).toThrow(/think/);
  });
});

describe("streams encoded by the server and decoded by the client", () => {
  const tokensArb = fc.array(fc.string({ minLength: 1, maxLength: 12 }), { maxLength: 20 });
  const reasonArb = fc.constantFrom("stop", "length");

  it("chat: the same content tokens, done reason and counts", () => {
    fc.assert(
      fc.property(tokensArb, reasonArb, fc.boolean(), (tokens, reason, usage) => {
        const enc = createChatChunkEncoder("id", usage);
        const dec = createChatStreamDecoder();
        const out = [];
        const metrics = newMetrics(0n, 0n, 4, 0n, tokens.length, 0n);
        const source = [
          ...tokens.map((t) => newChatResponse({ model: "m", role: "assistant", content: t })),
          newChatResponse({ model: "m", role: "assistant", done: true, doneReason: reason, metrics }),
        ];
        for (const c of source) for (const e of enc.encode(c)) out.push(...dec.push(JSON.parse(e)));
        out.push(...dec.end());
        expect(out.filter((c) => !c.done).map((c) => c.message?.content)).toEqual(tokens);
        const last = out.at(-1)!;
        expect(last.done).toBe(true);
        expect(last.doneReason).toBe(reason);
        expect(last.metrics?.evalCount).toBe(usage ? tokens.length : undefined);
      }),
    );
  });

  it("completions: the same tokens, done reason and counts", () => {
    fc.assert(
      fc.property(tokensArb, reasonArb, (tokens, reason) => {
        const enc = createCompletionChunkEncoder("id", true);
        const dec = createCompletionStreamDecoder();
        const out = [];
        const metrics = newMetrics(0n, 0n, 2, 0n, tokens.length, 0n);
        const source = [
          ...tokens.map((t) => newGenerateResponse({ model: "m", response: t })),
          newGenerateResponse({ model: "m", done: true, doneReason: reason, metrics }),
        ];
        for (const c of source) for (const e of enc.encode(c)) out.push(...dec.push(JSON.parse(e)));
        out.push(...dec.end());
        expect(out.filter((c) => !c.done).map((c) => c.response)).toEqual(tokens);
        expect(out.at(-1)).toMatchObject({
          done: true,
          doneReason: reason,
          metrics: { promptEvalCount: 2, evalCount: tokens.length },
        });
      }),
    );
  });

  it("a stream that reaches [DONE] without a finish_reason is refused", () => {
    const dec = createCompletionStreamDecoder();
    dec.push({ choices: [{ index: 0, text: "a", finish_reason: null }] });
    expect(() => dec.end()).toThrow(/finish_reason/);
    expect(() => dec.push({ error: { message: "boom" } })).toThrow(/boom/);
    expect(() => dec.push("x")).toThrow(/not a JSON object/);
  });
});
