import { create, type DescMessage, equals, type MessageShape } from "@bufbuild/protobuf";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";
import {
  ChatRequestSchema,
  ChatResponseSchema,
  Code,
  EmbedRequestSchema,
  EmbedResponseSchema,
  GenerateRequestSchema,
  GenerateResponseSchema,
  ListModelsResponseSchema,
  ListRunningResponseSchema,
  ModelwireError,
  ShowModelRequestSchema,
  ShowModelResponseSchema,
  VersionResponseSchema,
} from "@modelwire/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as j from "./ollama-json.js";
import * as a from "./test-support/arbitraries.js";

/** Message -> Ollama JSON -> text -> JSON -> message must give the same message. */
function roundTrip<D extends DescMessage>(
  schema: D,
  arb: fc.Arbitrary<MessageShape<D>>,
  to: (m: MessageShape<D>) => unknown,
  from: (o: unknown) => MessageShape<D>,
) {
  fc.assert(
    fc.property(arb, (msg) => {
      const wire = JSON.parse(JSON.stringify(to(msg)));
      const back = from(wire);
      if (!equals(schema, msg, back)) {
        throw new Error(`round trip changed the message:\n${JSON.stringify(wire)}`);
      }
    }),
    { numRuns: 300 },
  );
}

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

describe("round trips through Ollama's JSON", () => {
  it("generate request", () =>
    roundTrip(GenerateRequestSchema, a.generateRequestArb, j.generateRequestToJson, j.generateRequestFromJson));
  it("generate response", () =>
    roundTrip(GenerateResponseSchema, a.generateResponseArb, j.generateResponseToJson, j.generateResponseFromJson));
  it("chat request", () => roundTrip(ChatRequestSchema, a.chatRequestArb, j.chatRequestToJson, j.chatRequestFromJson));
  it("chat response", () =>
    roundTrip(ChatResponseSchema, a.chatResponseArb, j.chatResponseToJson, j.chatResponseFromJson));
  it("embed request", () =>
    roundTrip(EmbedRequestSchema, a.embedRequestArb, j.embedRequestToJson, j.embedRequestFromJson));
  it("embed response", () =>
    roundTrip(EmbedResponseSchema, a.embedResponseArb, j.embedResponseToJson, j.embedResponseFromJson));
  it("tags", () =>
    roundTrip(ListModelsResponseSchema, a.listResponseArb, j.listResponseToJson, j.listResponseFromJson));
  it("ps", () => roundTrip(ListRunningResponseSchema, a.psResponseArb, j.psResponseToJson, j.psResponseFromJson));
  it("show request", () =>
    roundTrip(ShowModelRequestSchema, a.showRequestArb, j.showRequestToJson, j.showRequestFromJson));
  it("show response", () =>
    roundTrip(ShowModelResponseSchema, a.showResponseArb, j.showResponseToJson, j.showResponseFromJson));
  it("version", () =>
    roundTrip(VersionResponseSchema, a.versionResponseArb, j.versionResponseToJson, j.versionResponseFromJson));
});

describe("Ollama's field shapes", () => {
  it("writes generate and chat chunks with every field set in one fixed key order (byte for byte)", () => {
    const createdAt = create(TimestampSchema, { seconds: 1_700_000_000n, nanos: 5 });
    const metrics = { totalDuration: 9n, loadDuration: 1n, promptEvalCount: 2, promptEvalDuration: 3n, evalCount: 4 };
    const cacheHit = { storedAt: createdAt, originalMetrics: { totalDuration: 7n } };
    const common = { model: "m", createdAt, done: true, doneReason: "stop", metrics, cacheHit };
    const generate = create(GenerateResponseSchema, { ...common, response: "r", thinking: "t", context: [1, 2] });
    const chat = create(ChatResponseSchema, {
      ...common,
      message: {
        role: "assistant",
        content: "c",
        thinking: "t",
        toolCalls: [{ function: { index: 0, name: "f", arguments: { a: 1 } } }],
      },
    });
    const tail =
      '"total_duration":9,"load_duration":1,"prompt_eval_count":2,"prompt_eval_duration":3,"eval_count":4,' +
      '"eval_duration":0,"modelwire_cache":{"hit":true,"stored_at":"2023-11-14T22:13:20.000000005Z",' +
      '"original":{"total_duration":7,"load_duration":0,"prompt_eval_count":0,"prompt_eval_duration":0,' +
      '"eval_count":0,"eval_duration":0}}}';
    expect(JSON.stringify(j.generateResponseToJson(generate))).toBe(
      '{"model":"m","response":"r","done":true,"created_at":"2023-11-14T22:13:20.000000005Z","thinking":"t",' +
        `"done_reason":"stop","context":[1,2],${tail}`,
    );
    expect(JSON.stringify(j.chatResponseToJson(chat))).toBe(
      '{"model":"m","message":{"role":"assistant","content":"c","thinking":"t","tool_calls":[{"function":' +
        '{"index":0,"name":"f","arguments":{"a":1}}}]},"done":true,"created_at":"2023-11-14T22:13:20.000000005Z",' +
        `"done_reason":"stop",${tail}`,
    );
    expect(JSON.stringify(j.chatResponseToJson(create(ChatResponseSchema, { model: "m" })))).toBe(
      '{"model":"m","message":{"role":"assistant","content":""},"done":false}',
    );
    expect(j.generateResponseFromJson(JSON.parse(JSON.stringify(j.generateResponseToJson(generate))))).toEqual(
      generate,
    );
    expect(j.chatResponseFromJson(JSON.parse(JSON.stringify(j.chatResponseToJson(chat))))).toEqual(chat);
  });

  it("flattens metrics in nanoseconds onto the final chunk and writes created_at with nanoseconds", () => {
    const msg = create(GenerateResponseSchema, {
      model: "m",
      createdAt: create(TimestampSchema, { seconds: 1_700_000_000n, nanos: 123_456_789 }),
      done: true,
      doneReason: "stop",
      metrics: { totalDuration: 5_000_000n, loadDuration: 1n, promptEvalCount: 3, evalCount: 4, evalDuration: 7n },
    });
    expect(j.generateResponseToJson(msg)).toEqual({
      model: "m",
      created_at: "2023-11-14T22:13:20.123456789Z",
      response: "",
      done: true,
      done_reason: "stop",
      total_duration: 5_000_000,
      load_duration: 1,
      prompt_eval_count: 3,
      prompt_eval_duration: 0,
      eval_count: 4,
      eval_duration: 7,
    });
    const chunk = j.generateResponseToJson(create(GenerateResponseSchema, { model: "m", response: "hi" }));
    expect(Object.keys(chunk).sort()).toEqual(["done", "model", "response"]);
  });

  it("reads created_at with an offset and trims trailing zeros like Go", () => {
    const r = j.generateResponseFromJson({ model: "m", created_at: "2024-01-02T03:04:05.5+02:00", done: false });
    expect(r.createdAt?.seconds).toBe(BigInt(Date.UTC(2024, 0, 2, 1, 4, 5) / 1000));
    expect(r.createdAt?.nanos).toBe(500_000_000);
    expect(j.generateResponseToJson(r).created_at).toBe("2024-01-02T01:04:05.5Z");
    invalid(() => j.generateResponseFromJson({ created_at: "yesterday" }));
    invalid(() => j.generateResponseFromJson({ created_at: "2024-02-30T00:00:00Z" }));
  });

  it("reads typed options, names the key of a wrongly typed one, and ignores unknown keys", () => {
    const r = j.generateRequestFromJson({
      model: "m",
      options: { temperature: 0.5, num_predict: 12.9, seed: 7, stop: ["a"], use_mmap: false, mirostat: 2, foo: "x" },
    });
    expect(r.options?.temperature).toBe(0.5);
    expect(r.options?.numPredict).toBe(12);
    expect(r.options?.seed).toBe(7n);
    expect(r.options?.stop).toEqual(["a"]);
    expect(r.options?.useMmap).toBe(false);
    expect(r.options?.topK).toBeUndefined();
    expect(
      invalid(() => j.generateRequestFromJson({ model: "m", options: { temperature: "hot" } })).metadata.field,
    ).toBe("options.temperature");
    expect(invalid(() => j.chatRequestFromJson({ model: "m", options: { num_ctx: true } })).metadata.field).toBe(
      "options.num_ctx",
    );
    expect(invalid(() => j.embedRequestFromJson({ model: "m", options: { stop: [1] } })).metadata.field).toBe(
      "options.stop",
    );
    expect(invalid(() => j.generateRequestFromJson({ model: "m", options: { use_mmap: 1 } })).metadata.field).toBe(
      "options.use_mmap",
    );
    expect(invalid(() => j.generateRequestFromJson({ model: "m", options: [] })).metadata.field).toBe("options");
    expect(invalid(() => j.generateRequestFromJson({ model: "m", options: { top_k: 2 ** 40 } })).metadata.field).toBe(
      "options.top_k",
    );
  });

  it("reads keep_alive as seconds or a Go duration string", () => {
    const ns = (v: unknown) => {
      const d = j.generateRequestFromJson({ model: "m", keep_alive: v }).keepAlive!;
      return d.seconds * 1_000_000_000n + BigInt(d.nanos);
    };
    expect(ns(300)).toBe(300_000_000_000n);
    expect(ns(1.5)).toBe(1_500_000_000n);
    expect(ns("5m")).toBe(300_000_000_000n);
    expect(ns("1h30m")).toBe(5_400_000_000_000n);
    expect(ns("250ms")).toBe(250_000_000n);
    expect(ns("0")).toBe(0n);
    expect(ns("-1")).toBe(-1_000_000_000n);
    expect(ns(-5)).toBe(-1_000_000_000n);
    expect(ns("-10m")).toBe(-1_000_000_000n);
    expect(invalid(() => j.generateRequestFromJson({ model: "m", keep_alive: "soon" })).metadata.field).toBe(
      "keep_alive",
    );
    expect(invalid(() => j.generateRequestFromJson({ model: "m", keep_alive: true })).metadata.field).toBe(
      "keep_alive",
    );
    const out = (v: unknown) =>
      j.generateRequestToJson(j.generateRequestFromJson({ model: "m", keep_alive: v })).keep_alive;
    expect(out("5m")).toBe("5m0s");
    expect(out(5400)).toBe("1h30m0s");
    expect(out(-1)).toBe(-1);
  });

  it("reads format, think, images and input in every shape Ollama allows", () => {
    const schema = { type: "object", properties: { a: { type: "string" } } };
    expect(j.generateRequestFromJson({ model: "m", format: "json" }).format).toBe('"json"');
    expect(JSON.parse(j.chatRequestFromJson({ model: "m", format: schema }).format)).toEqual(schema);
    expect(j.chatRequestToJson(j.chatRequestFromJson({ model: "m", format: schema })).format).toEqual(schema);
    expect(invalid(() => j.generateRequestFromJson({ model: "m", format: "yaml" })).metadata.field).toBe("format");
    expect(j.generateRequestFromJson({ model: "m", think: true }).think?.value).toEqual({
      case: "enabled",
      value: true,
    });
    expect(j.generateRequestFromJson({ model: "m", think: "low" }).think?.value).toEqual({
      case: "level",
      value: "low",
    });
    expect(j.generateRequestFromJson({ model: "m", think: "max" }).think?.value).toEqual({
      case: "level",
      value: "max",
    });
    expect(invalid(() => j.generateRequestFromJson({ model: "m", think: "maximal" })).metadata.field).toBe("think");
    const img = j.generateRequestFromJson({ model: "m", images: ["aGVsbG8="] }).images[0];
    expect(Buffer.from(img).toString()).toBe("hello");
    expect(invalid(() => j.generateRequestFromJson({ model: "m", images: ["not base64!"] })).metadata.field).toBe(
      "images[0]",
    );
    expect(
      invalid(() => j.chatRequestFromJson({ model: "m", messages: [{ role: "user" }, { role: "user", images: [3] }] }))
        .metadata.field,
    ).toBe("messages[1].images[0]");
    expect(j.embedRequestFromJson({ model: "m", input: "one" }).input).toEqual(["one"]);
    expect(j.embedRequestFromJson({ model: "m", input: ["a", "b"] }).input).toEqual(["a", "b"]);
    expect(invalid(() => j.embedRequestFromJson({ model: "m", input: [1] })).metadata.field).toBe("input[0]");
  });

  it("rejects a body that is not an object and fields of the wrong type", () => {
    invalid(() => j.generateRequestFromJson([1, 2]));
    invalid(() => j.chatRequestFromJson("hi"));
    expect(invalid(() => j.generateRequestFromJson({ model: 5 })).metadata.field).toBe("model");
    expect(invalid(() => j.generateRequestFromJson({ model: "m", stream: "yes" })).metadata.field).toBe("stream");
    expect(invalid(() => j.chatRequestFromJson({ model: "m", messages: {} })).metadata.field).toBe("messages");
    expect(invalid(() => j.generateRequestFromJson({ model: "m", context: [1.5] })).metadata.field).toBe("context[0]");
    // null is "absent", as in Go.
    expect(j.generateRequestFromJson({ model: "m", prompt: null, stream: null }).stream).toBeUndefined();
  });

  it("maps the legacy show name and embeddings shapes", () => {
    expect(j.showRequestFromJson({ name: "llama3" }).model).toBe("llama3");
    const req = j.embeddingsRequestFromJson({ model: "e", prompt: "hello" });
    expect(req.input).toEqual(["hello"]);
    const res = create(EmbedResponseSchema, { model: "e", embeddings: [{ values: [0.5, -0.25] }] });
    expect(j.embeddingsResponseToJson(res)).toEqual({ embedding: [0.5, -0.25] });
  });
});
