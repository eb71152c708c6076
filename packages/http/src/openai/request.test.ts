import { Code, ModelwireError } from "@modelwire/core";
import { describe, expect, it } from "vitest";
import { chatCompletionRequestFromJson, completionRequestFromJson, embeddingsRequestFromJson } from "./request.js";

function invalid(fn: () => unknown): ModelwireError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ModelwireError);
    expect((e as ModelwireError).code).toBe(Code.InvalidArgument);
    return e as ModelwireError;
  }
  throw new Error("expected an InvalidArgument error");
}

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
const user = (content: unknown) => ({ role: "user", content });

describe("chat completion requests", () => {
  it("map messages, sampling fields and stream options as Ollama does", () => {
    const { request, stream, includeUsage } = chatCompletionRequestFromJson({
      model: "synthetic",
      messages: [
        { role: "system", content: "be brief" },
        user("hi"),
        {
          role: "assistant",
          content: null,
          tool_calls: [
            { id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } },
          ],
        },
        { role: "tool", tool_call_id: "call_1", content: "sunny" },
      ],
      temperature: 0.5,
      top_p: 0.25,
      max_tokens: 7,
      seed: 42,
      stop: ["\n\n", ""],
      frequency_penalty: 0.5,
      presence_penalty: -1,
      stream: true,
      stream_options: { include_usage: true },
      user: "ignored",
      tool_choice: "auto",
    });
    expect(stream).toBe(true);
    expect(includeUsage).toBe(true);
    expect(request.stream).toBe(true);
    expect(request.model).toBe("synthetic");
    expect(request.messages.map((m) => [m.role, m.content, m.toolName])).toEqual([
      ["system", "be brief", ""],
      ["user", "hi", ""],
      ["assistant", "", ""],
      ["tool", "sunny", "get_weather"],
    ]);
    expect(request.messages[2].toolCalls[0].function?.name).toBe("get_weather");
    expect(request.messages[2].toolCalls[0].function?.arguments).toEqual({ city: "Oslo" });
    const o = request.options;
    expect(o?.temperature).toBe(0.5);
    expect(o?.topP).toBe(0.25);
    expect(o?.numPredict).toBe(7);
    expect(o?.seed).toBe(42n);
    expect(o?.stop).toEqual(["\n\n"]);
    expect(o?.frequencyPenalty).toBe(0.5);
    expect(o?.presencePenalty).toBe(-1);
  });

  it("default temperature and top_p to OpenAI's 1.0, leave penalties unset, and do not stream", () => {
    const { request, stream, includeUsage } = chatCompletionRequestFromJson({ model: "m", messages: [user("x")] });
    expect(stream).toBe(false);
    expect(includeUsage).toBe(false);
    expect(request.stream).toBe(false);
    expect(request.options?.temperature).toBe(1);
    expect(request.options?.topP).toBe(1);
    expect(request.options?.frequencyPenalty).toBeUndefined();
    expect(request.options?.numPredict).toBeUndefined();
    expect(request.options?.seed).toBeUndefined();
  });

  it("prefer max_completion_tokens over max_tokens, and read a stop string", () => {
    const { request } = chatCompletionRequestFromJson({
      model: "m",
      messages: [user("x")],
      max_tokens: 100,
      max_completion_tokens: 3,
      stop: "END",
    });
    expect(request.options?.numPredict).toBe(3);
    expect(request.options?.stop).toEqual(["END"]);
  });

  it("split content parts into messages, decoding data-URL images", () => {
    const { request } = chatCompletionRequestFromJson({
      model: "m",
      messages: [
        user([
          { type: "text", text: "what is this?" },
          { type: "image_url", image_url: { url: `data:image/png;base64,${PNG.toString("base64")}` } },
          { type: "image_url", image_url: `data:;base64,${PNG.toString("base64")}` },
        ]),
      ],
    });
    expect(request.messages).toHaveLength(3);
    expect(request.messages[0].content).toBe("what is this?");
    expect(Buffer.from(request.messages[1].images[0])).toEqual(PNG);
    expect(Buffer.from(request.messages[2].images[0])).toEqual(PNG);
  });

  it("map response_format, tools and reasoning effort", () => {
    const schema = { type: "object", properties: { a: { type: "integer" } }, required: ["a"] };
    const r1 = chatCompletionRequestFromJson({
      model: "m",
      messages: [user("x")],
      response_format: { type: "json_schema", json_schema: { name: "r", schema } },
      tools: [{ type: "function", function: { name: "f", description: "does f", parameters: { type: "object" } } }],
      reasoning_effort: "minimal",
    });
    expect(JSON.parse(r1.request.format)).toEqual(schema);
    expect(r1.request.tools[0].function?.name).toBe("f");
    expect(r1.request.tools[0].function?.parameters).toEqual({ type: "object" });
    expect(r1.request.think?.value).toEqual({ case: "level", value: "low" });
    const r2 = chatCompletionRequestFromJson({
      model: "m",
      messages: [user("x")],
      response_format: { type: "json_object" },
      reasoning: { effort: "none" },
    });
    expect(r2.request.format).toBe('"json"');
    expect(r2.request.think?.value).toEqual({ case: "enabled", value: false });
    const r3 = chatCompletionRequestFromJson({ model: "m", messages: [user("x")], response_format: { type: "text" } });
    expect(r3.request.format).toBe("");
    expect(r3.request.think).toBeUndefined();
  });

  it.each([
    [{ messages: [user("x")] }, "model"],
    [{ model: 3, messages: [user("x")] }, "model"],
    [{ model: "m" }, "messages"],
    [{ model: "m", messages: [] }, "messages"],
    [{ model: "m", messages: "hi" }, "messages"],
    [{ model: "m", messages: [3] }, "messages[0]"],
    [{ model: "m", messages: [{ content: "x" }] }, "messages[0].role"],
    [{ model: "m", messages: [{ role: "user" }] }, "messages[0].content"],
    [{ model: "m", messages: [user(7)] }, "messages[0].content"],
    [{ model: "m", messages: [user([{ type: "audio" }])] }, "messages[0].content[0].type"],
    [{ model: "m", messages: [user([{ type: "text", text: 1 }])] }, "messages[0].content[0].text"],
    [
      { model: "m", messages: [user([{ type: "image_url", image_url: { url: "https://x/y.png" } }])] },
      "messages[0].content[0].image_url.url",
    ],
    [
      { model: "m", messages: [user([{ type: "image_url", image_url: "data:image/gif;base64,AAAA" }])] },
      "messages[0].content[0].image_url",
    ],
    [
      { model: "m", messages: [user([{ type: "image_url", image_url: "data:image/png;base64,%%%" }])] },
      "messages[0].content[0].image_url",
    ],
    [
      {
        model: "m",
        messages: [{ role: "assistant", tool_calls: [{ function: { name: "f", arguments: "{oops" } }] }],
      },
      "messages[0].tool_calls[0].function.arguments",
    ],
    [
      { model: "m", messages: [{ role: "assistant", tool_calls: [{ function: { name: "f", arguments: "[1]" } }] }] },
      "messages[0].tool_calls[0].function.arguments",
    ],
    [{ model: "m", messages: [user("x")], temperature: "hot" }, "temperature"],
    [{ model: "m", messages: [user("x")], temperature: 2.5 }, "temperature"],
    [{ model: "m", messages: [user("x")], top_p: 1.5 }, "top_p"],
    [{ model: "m", messages: [user("x")], frequency_penalty: 3 }, "frequency_penalty"],
    [{ model: "m", messages: [user("x")], presence_penalty: -2.5 }, "presence_penalty"],
    [{ model: "m", messages: [user("x")], max_tokens: -1 }, "max_tokens"],
    [{ model: "m", messages: [user("x")], max_tokens: 1.5 }, "max_tokens"],
    [{ model: "m", messages: [user("x")], max_completion_tokens: "9" }, "max_completion_tokens"],
    [{ model: "m", messages: [user("x")], seed: 0.5 }, "seed"],
    [{ model: "m", messages: [user("x")], stop: 5 }, "stop"],
    [{ model: "m", messages: [user("x")], stop: ["a", 5] }, "stop[1]"],
    [{ model: "m", messages: [user("x")], stream: "yes" }, "stream"],
    [{ model: "m", messages: [user("x")], stream_options: { include_usage: 1 } }, "stream_options.include_usage"],
    [{ model: "m", messages: [user("x")], n: 2 }, "n"],
    [{ model: "m", messages: [user("x")], n: 0 }, "n"],
    [{ model: "m", messages: [user("x")], logprobs: true }, "logprobs"],
    [{ model: "m", messages: [user("x")], top_logprobs: 3 }, "top_logprobs"],
    [{ model: "m", messages: [user("x")], response_format: { type: "xml" } }, "response_format.type"],
    [
      { model: "m", messages: [user("x")], response_format: { type: "json_schema" } },
      "response_format.json_schema.schema",
    ],
    [{ model: "m", messages: [user("x")], response_format: "json" }, "response_format"],
    [{ model: "m", messages: [user("x")], tools: {} }, "tools"],
    [{ model: "m", messages: [user("x")], tools: [{ type: "custom", function: { name: "f" } }] }, "tools[0].type"],
    [{ model: "m", messages: [user("x")], tools: [{ type: "function", function: {} }] }, "tools[0].function.name"],
    [{ model: "m", messages: [user("x")], reasoning_effort: "extreme" }, "reasoning_effort"],
  ])("refuse %j naming %s", (body, field) => {
    const e = invalid(() => chatCompletionRequestFromJson(body));
    expect(e.metadata.field).toBe(field);
    expect(e.rawMessage).toContain(field.replace(/\.url$/, ""));
  });

  it("refuse a body that is not an object", () => {
    for (const b of [null, [], "x", 3]) invalid(() => chatCompletionRequestFromJson(b));
  });
});

describe("legacy completion requests", () => {
  it("map prompt, suffix and sampling fields, with the penalties always set as Ollama does", () => {
    const { request, stream } = completionRequestFromJson({
      model: "m",
      prompt: ["say hi"],
      suffix: "bye",
      max_tokens: 4,
      seed: -3,
      stop: "x",
      stream: true,
      n: 1,
      best_of: 1,
      echo: false,
      logprobs: null,
    });
    expect(stream).toBe(true);
    expect(request.prompt).toBe("say hi");
    expect(request.suffix).toBe("bye");
    expect(request.options?.numPredict).toBe(4);
    expect(request.options?.seed).toBe(-3n);
    expect(request.options?.stop).toEqual(["x"]);
    expect(request.options?.frequencyPenalty).toBe(0);
    expect(request.options?.presencePenalty).toBe(0);
    expect(request.options?.temperature).toBe(1);
  });

  it.each([
    [{ prompt: "x" }, "model"],
    [{ model: "m", prompt: 5 }, "prompt"],
    [{ model: "m", prompt: ["a", "b"] }, "prompt"],
    [{ model: "m", prompt: [[1, 2, 3]] }, "prompt"],
    [{ model: "m", prompt: "x", n: 3 }, "n"],
    [{ model: "m", prompt: "x", best_of: 2 }, "best_of"],
    [{ model: "m", prompt: "x", echo: true }, "echo"],
    [{ model: "m", prompt: "x", logprobs: 2 }, "logprobs"],
    [{ model: "m", prompt: "x", suffix: 1 }, "suffix"],
    [{ model: "m", prompt: "x", top_p: -0.1 }, "top_p"],
  ])("refuse %j naming %s", (body, field) => {
    expect(invalid(() => completionRequestFromJson(body)).metadata.field).toBe(field);
  });
});

describe("embeddings requests", () => {
  it("accept a string or an array of strings, dimensions and encoding_format", () => {
    const one = embeddingsRequestFromJson({ model: "e", input: "" });
    expect(one.request.input).toEqual([""]);
    expect(one.base64).toBe(false);
    const many = embeddingsRequestFromJson({ model: "e", input: ["a", "b"], dimensions: 8, encoding_format: "BASE64" });
    expect(many.request.input).toEqual(["a", "b"]);
    expect(many.request.dimensions).toBe(8);
    expect(many.base64).toBe(true);
  });

  it.each([
    [{ input: "x" }, "model"],
    [{ model: "e" }, "input"],
    [{ model: "e", input: [] }, "input"],
    [{ model: "e", input: [[1, 2]] }, "input[0]"],
    [{ model: "e", input: 5 }, "input"],
    [{ model: "e", input: "x", encoding_format: "int8" }, "encoding_format"],
    [{ model: "e", input: "x", dimensions: 0 }, "dimensions"],
  ])("refuse %j naming %s", (body, field) => {
    expect(invalid(() => embeddingsRequestFromJson(body)).metadata.field).toBe(field);
  });
});
