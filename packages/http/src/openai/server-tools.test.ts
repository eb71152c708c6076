import { create, type JsonObject } from "@bufbuild/protobuf";
import { type ChatRequest, type ChatResponse, ChatResponseSchema, type Engine } from "@modelwire/core";
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "../test-support/harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const openai = (url: string) => new OpenAI({ baseURL: `${url}/v1`, apiKey: "unused", maxRetries: 0 });

type Call = { name: string; args: JsonObject; index?: number };

/**
 * An engine whose chat answers with tool calls, one engine chunk per entry of `chunks`, then a final chunk with
 * done_reason "stop" (Ollama's, which the OpenAI API reports as "tool_calls"). Each call's `function.index` is what
 * the engine sends (0 when not given, as an Ollama JSON chunk without an index reads). Requests are recorded.
 */
function toolEngine(base: Engine, chunks: Call[][], seen: ChatRequest[]): Engine {
  return {
    ...base,
    async *chat(request) {
      seen.push(request);
      const chunk = (calls: Call[], done: boolean): ChatResponse =>
        create(ChatResponseSchema, {
          model: request.model,
          message: {
            role: "assistant",
            content: "",
            toolCalls: calls.map((c) => ({ function: { index: c.index ?? 0, name: c.name, arguments: c.args } })),
          },
          done,
          doneReason: done ? "stop" : "",
          metrics: done ? { promptEvalCount: 7, evalCount: 11 } : undefined,
        });
      for (const calls of chunks) yield chunk(calls, false);
      yield chunk([], true);
    },
  };
}

const tools: OpenAI.ChatCompletionTool[] = [
  {
    type: "function",
    function: {
      name: "get_weather",
      description: "weather in a city",
      parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
    },
  },
  { type: "function", function: { name: "get_time", parameters: { type: "object", properties: {} } } },
];
const ask = [{ role: "user" as const, content: "weather and time in Paris?" }];

describe("tool calls through the official openai npm client", () => {
  it("two calls streamed in separate chunks (both with index 0 from the engine) stay two calls", async () => {
    const seen: ChatRequest[] = [];
    const chunks = [[{ name: "get_weather", args: { city: "Paris" } }], [{ name: "get_time", args: { tz: "CET" } }]];
    h = await startHarness({}, {}, (e) => toolEngine(e, chunks, seen));
    // The client's stream helper accumulates tool-call deltas by their index, as applications using it do.
    const stream = openai(h.url).chat.completions.stream({
      model: "synthetic",
      messages: ask,
      tools,
      stream_options: { include_usage: true },
    });
    const final = await stream.finalChatCompletion();
    const calls = final.choices[0].message.tool_calls ?? [];
    expect(
      calls.map((c) => (c.type === "function" ? [c.function.name, JSON.parse(c.function.arguments)] : [])),
    ).toEqual([
      ["get_weather", { city: "Paris" }],
      ["get_time", { tz: "CET" }],
    ]);
    expect(new Set(calls.map((c) => c.id)).size).toBe(2);
    expect(calls.every((c) => /^call_/.test(c.id))).toBe(true);
    expect(final.choices[0].finish_reason).toBe("tool_calls");
    expect(final.usage).toEqual({ prompt_tokens: 7, completion_tokens: 11, total_tokens: 18 });
    // The tools reached the engine as Ollama's tool definitions.
    expect(seen[0].tools.map((t) => [t.type, t.function?.name])).toEqual([
      ["function", "get_weather"],
      ["function", "get_time"],
    ]);
  });

  it("calls in one chunk and in later chunks get the positions 0, 1, 2 in the stream", async () => {
    const chunks = [
      [
        { name: "get_weather", args: { city: "Paris" }, index: 0 },
        { name: "get_weather", args: { city: "Rome" }, index: 1 },
      ],
      [{ name: "get_time", args: {}, index: 0 }],
    ];
    h = await startHarness({}, {}, (e) => toolEngine(e, chunks, []));
    const indexes: number[] = [];
    const stream = await openai(h.url).chat.completions.create({
      model: "synthetic",
      messages: ask,
      tools,
      stream: true,
    });
    for await (const chunk of stream) for (const c of chunk.choices[0]?.delta.tool_calls ?? []) indexes.push(c.index);
    expect(indexes).toEqual([0, 1, 2]);
  });

  it("a non-streamed reply carries the calls; sending their results back reaches the engine as tool messages", async () => {
    const seen: ChatRequest[] = [];
    const chunks = [[{ name: "get_weather", args: { city: "Paris" } }], [{ name: "get_time", args: {} }]];
    h = await startHarness({}, {}, (e) => toolEngine(e, chunks, seen));
    const client = openai(h.url);
    const reply = await client.chat.completions.create({ model: "synthetic", messages: ask, tools });
    const message = reply.choices[0].message;
    expect(reply.choices[0].finish_reason).toBe("tool_calls");
    const calls = message.tool_calls ?? [];
    expect(calls.map((c) => (c.type === "function" ? c.function.name : ""))).toEqual(["get_weather", "get_time"]);
    expect(calls[0].type === "function" && JSON.parse(calls[0].function.arguments)).toEqual({ city: "Paris" });

    await client.chat.completions.create({
      model: "synthetic",
      tools,
      messages: [
        ...ask,
        message,
        { role: "tool", tool_call_id: calls[0].id, content: "18 C, clear" },
        { role: "tool", tool_call_id: calls[1].id, content: "14:05" },
      ],
    });
    const history = seen[1].messages;
    expect(history.map((m) => m.role)).toEqual(["user", "assistant", "tool", "tool"]);
    expect(history[1].toolCalls.map((c) => [c.function?.name, c.function?.arguments])).toEqual([
      ["get_weather", { city: "Paris" }],
      ["get_time", {}],
    ]);
    // Ollama's tool messages carry the tool's name; the OpenAI id is resolved through the assistant's calls.
    expect(history.slice(2).map((m) => [m.toolName, m.content])).toEqual([
      ["get_weather", "18 C, clear"],
      ["get_time", "14:05"],
    ]);
  });
});
