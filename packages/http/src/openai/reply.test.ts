import { create } from "@bufbuild/protobuf";
import {
  ChatResponseSchema,
  EmbedResponseSchema,
  GenerateResponseSchema,
  ListModelsResponseSchema,
  newChatResponse,
  newGenerateResponse,
  newMetrics,
  ShowModelResponseSchema,
  timestampOfMs,
} from "@modelwire/core";
import { describe, expect, it } from "vitest";
import {
  chatCompletionToJson,
  completionToJson,
  createChatChunkEncoder,
  createCompletionChunkEncoder,
  embeddingListToJson,
  finishReason,
  floatsToBase64,
  modelListToJson,
  modelToJson,
  newReplyId,
  ownerOf,
} from "./reply.js";

const at = timestampOfMs(1_700_000_000_500);
const metrics = newMetrics(0n, 0n, 3, 0n, 2, 0n);
const token = (content: string) => newChatResponse({ model: "m", createdAt: at, role: "assistant", content });
const final = (doneReason = "stop") => newChatResponse({ model: "m", createdAt: at, done: true, doneReason, metrics });

describe("streamed chat chunks", () => {
  it("carry the role on the first delta only, then a finish chunk and a usage chunk", () => {
    const enc = createChatChunkEncoder("chatcmpl-1", true);
    const events = [token("Hel"), token("lo"), final()].flatMap((c) => enc.encode(c)).map((t) => JSON.parse(t));
    expect(events).toEqual([
      {
        id: "chatcmpl-1",
        object: "chat.completion.chunk",
        created: 1_700_000_000,
        model: "m",
        system_fingerprint: "fp_modelwire",
        choices: [{ index: 0, delta: { role: "assistant", content: "Hel" }, finish_reason: null }],
      },
      expect.objectContaining({ choices: [{ index: 0, delta: { content: "lo" }, finish_reason: null }] }),
      expect.objectContaining({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }] }),
      expect.objectContaining({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } }),
    ]);
  });

  it("keep the first chunk's created on every chunk, and send no usage chunk unless asked", () => {
    const enc = createChatChunkEncoder("c", false);
    const later = newChatResponse({ model: "m", createdAt: timestampOfMs(1_800_000_000_000), content: "x" });
    const events = [token("a"), later, final("length")].flatMap((c) => enc.encode(c)).map((t) => JSON.parse(t));
    expect(events.map((e) => e.created)).toEqual([1_700_000_000, 1_700_000_000, 1_700_000_000]);
    expect(events[2].choices[0].finish_reason).toBe("length");
    expect(events.some((e) => "usage" in e)).toBe(false);
  });

  it("open an empty reply with a role chunk before the finish chunk", () => {
    const events = createChatChunkEncoder("c", false)
      .encode(final())
      .map((t) => JSON.parse(t));
    expect(events.map((e) => e.choices[0].delta)).toEqual([{ role: "assistant", content: "" }, {}]);
  });

  it("send thinking and content of one chunk as two, and tool calls with ids as finish_reason tool_calls", () => {
    const enc = createChatChunkEncoder("c", false);
    const mixed = create(ChatResponseSchema, {
      model: "m",
      message: {
        role: "assistant",
        thinking: "hmm",
        content: "",
        toolCalls: [{ function: { index: 0, name: "f", arguments: { x: 1 } } }],
      },
    });
    const events = [mixed, final()].flatMap((c) => enc.encode(c)).map((t) => JSON.parse(t));
    expect(events[0].choices[0].delta).toEqual({ role: "assistant", reasoning: "hmm" });
    const call = events[1].choices[0].delta.tool_calls[0];
    expect(call).toMatchObject({ index: 0, type: "function", function: { name: "f", arguments: '{"x":1}' } });
    expect(call.id).toMatch(/^call_/);
    expect(events[2].choices[0].finish_reason).toBe("tool_calls");
  });
});

describe("streamed completion chunks", () => {
  it("carry text per chunk, finish_reason on the final one, then usage when asked", () => {
    const enc = createCompletionChunkEncoder("cmpl-1", true);
    const chunks = [
      newGenerateResponse({ model: "m", createdAt: at, response: "a", thinking: "not sent" }),
      newGenerateResponse({ model: "m", createdAt: at, done: true, doneReason: "length", metrics }),
    ];
    const events = chunks.flatMap((c) => enc.encode(c)).map((t) => JSON.parse(t));
    expect(events[0]).toEqual({
      id: "cmpl-1",
      object: "text_completion",
      created: 1_700_000_000,
      model: "m",
      system_fingerprint: "fp_modelwire",
      choices: [{ index: 0, text: "a", finish_reason: null }],
    });
    expect(events[1].choices).toEqual([{ index: 0, text: "", finish_reason: "length" }]);
    expect(events[2]).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
    });
  });
});

describe("non-streamed replies", () => {
  it("chat: message, finish_reason and usage", () => {
    const reply = create(ChatResponseSchema, {
      model: "m",
      createdAt: at,
      message: { role: "assistant", content: "hi", thinking: "t" },
      done: true,
      doneReason: "stop",
      metrics,
    });
    expect(chatCompletionToJson("id", reply)).toEqual({
      id: "id",
      object: "chat.completion",
      created: 1_700_000_000,
      model: "m",
      system_fingerprint: "fp_modelwire",
      choices: [{ index: 0, message: { role: "assistant", content: "hi", reasoning: "t" }, finish_reason: "stop" }],
      usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
    });
  });

  it("completion: text and usage", () => {
    const reply = create(GenerateResponseSchema, {
      model: "m",
      response: "ok",
      done: true,
      doneReason: "stop",
      metrics,
    });
    const json = completionToJson("id", reply);
    expect(json.choices).toEqual([{ index: 0, text: "ok", finish_reason: "stop" }]);
    expect(json.usage?.total_tokens).toBe(5);
  });

  it("finish_reason passes Ollama's other reasons through and defaults to stop", () => {
    expect(finishReason("", false)).toBe("stop");
    expect(finishReason("stop", true)).toBe("tool_calls");
    expect(finishReason("length", true)).toBe("length");
    expect(finishReason("load", false)).toBe("load");
  });
});

describe("models and embeddings", () => {
  it("list models with created from modified_at and owned_by from the namespace", () => {
    const list = create(ListModelsResponseSchema, {
      models: [
        { name: "llama3:8b", model: "llama3:8b", modifiedAt: timestampOfMs(1_000_000) },
        { name: "me/tiny:latest", model: "" },
      ],
    });
    expect(modelListToJson(list)).toEqual({
      object: "list",
      data: [
        { id: "llama3:8b", object: "model", created: 1000, owned_by: "library" },
        { id: "me/tiny:latest", object: "model", created: 0, owned_by: "me" },
      ],
    });
    expect(modelToJson("x", create(ShowModelResponseSchema, { modifiedAt: timestampOfMs(2_000) }))).toEqual({
      id: "x",
      object: "model",
      created: 2,
      owned_by: "library",
    });
    expect(ownerOf("registry.example/team/model:1")).toBe("team");
  });

  it("embeddings as floats or as base64 of little-endian float32", () => {
    const reply = create(EmbedResponseSchema, {
      model: "e",
      embeddings: [{ values: [0.5, -1.25] }, { values: [3] }],
      promptEvalCount: 4,
    });
    const floats = embeddingListToJson("e", reply, false);
    expect(floats).toEqual({
      object: "list",
      data: [
        { object: "embedding", embedding: [0.5, -1.25], index: 0 },
        { object: "embedding", embedding: [3], index: 1 },
      ],
      model: "e",
      usage: { prompt_tokens: 4, total_tokens: 4 },
    });
    const b64 = embeddingListToJson("e", reply, true).data[0].embedding as string;
    const bytes = Buffer.from(b64, "base64");
    expect([bytes.readFloatLE(0), bytes.readFloatLE(4)]).toEqual([0.5, -1.25]);
    expect(floatsToBase64([])).toBe("");
  });

  it("reply ids are unique", () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newReplyId("chatcmpl-")));
    expect(ids.size).toBe(1000);
  });
});
