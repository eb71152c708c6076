import { create, type DescMessage, equals, fromBinary, fromJson, toBinary, toJson } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ChatRequestSchema, ChatResponseSchema } from "./gen/modelwire/v1/chat_pb.js";
import { GenerateRequestSchema, GenerateResponseSchema } from "./gen/modelwire/v1/generate_pb.js";
import { InferenceRequestSchema } from "./gen/modelwire/v1/inference_pb.js";
import {
  EmbedRequestSchema,
  EmbedResponseSchema,
  ListModelsResponseSchema,
  ListRunningResponseSchema,
  ShowModelRequestSchema,
  ShowModelResponseSchema,
  VersionResponseSchema,
} from "./gen/modelwire/v1/models_pb.js";
import { OptionsSchema } from "./gen/modelwire/v1/options_pb.js";
import { InferenceService } from "./gen/modelwire/v1/service_pb.js";

/** Float fields are float32 on the wire, so fixtures use float32-exact values. */
const options = {
  numKeep: 4,
  seed: 1234567890123n,
  numPredict: -1,
  topK: 40,
  topP: Math.fround(0.9),
  minP: Math.fround(0.05),
  typicalP: 1,
  repeatLastN: 64,
  temperature: Math.fround(0.7),
  repeatPenalty: Math.fround(1.1),
  presencePenalty: 0.5,
  frequencyPenalty: 0.25,
  stop: ["\n\n", "</s>"],
  numCtx: 4096,
  numBatch: 512,
  numGpu: 99,
  mainGpu: 0,
  useMmap: false,
  numThread: 8,
};
const details = {
  parentModel: "",
  format: "gguf",
  family: "llama",
  families: ["llama"],
  parameterSize: "1.2B",
  quantizationLevel: "Q4_K_M",
};
const metrics = {
  totalDuration: 5_043_500_667n,
  loadDuration: 5_025_959n,
  promptEvalCount: 26,
  promptEvalDuration: 325_953_000n,
  evalCount: 290,
  evalDuration: 4_709_213_000n,
};
const ts = timestampFromMs(Date.UTC(2026, 10, 25, 12, 0, 0, 123));

/** One fully populated instance of every message of the contract. */
const fixtures: Array<[DescMessage, Record<string, unknown>]> = [
  [OptionsSchema, options],
  [
    GenerateRequestSchema,
    {
      model: "llama3.2:1b",
      prompt: "Why is the sky blue?",
      suffix: "end",
      system: "Be brief.",
      template: "{{ .Prompt }}",
      context: [1, 2, 3],
      stream: false,
      raw: true,
      format: '"json"',
      keepAlive: { seconds: 300n, nanos: 0 },
      images: [new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 255])],
      options,
      think: { value: { case: "level", value: "high" } },
    },
  ],
  [
    GenerateResponseSchema,
    {
      model: "llama3.2:1b",
      createdAt: ts,
      response: "日本 🙂",
      thinking: "hmm",
      done: true,
      doneReason: "stop",
      context: [7, 8],
      metrics,
    },
  ],
  [
    ChatRequestSchema,
    {
      model: "llama3.2:1b",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "hi", images: [new Uint8Array([1, 2, 3])] },
        {
          role: "assistant",
          content: "",
          toolCalls: [
            {
              function: {
                index: 0,
                name: "get_weather",
                arguments: { fields: { city: { kind: { case: "stringValue", value: "Paris" } } } },
              },
            },
          ],
        },
        { role: "tool", content: "12°C", toolName: "get_weather" },
      ],
      stream: true,
      format: '{"type":"object"}',
      keepAlive: { seconds: -1n, nanos: 0 },
      tools: [
        {
          type: "function",
          function: {
            name: "get_weather",
            description: "Weather in a city",
            parameters: { fields: { type: { kind: { case: "stringValue", value: "object" } } } },
          },
        },
      ],
      options,
      think: { value: { case: "enabled", value: true } },
    },
  ],
  [
    ChatResponseSchema,
    {
      model: "m",
      createdAt: ts,
      message: { role: "assistant", content: "hello" },
      done: true,
      doneReason: "length",
      metrics,
    },
  ],
  [
    EmbedRequestSchema,
    { model: "e", input: ["a", "b"], truncate: false, keepAlive: { seconds: 60n }, options, dimensions: 8 },
  ],
  [
    EmbedResponseSchema,
    {
      model: "e",
      embeddings: [{ values: [0.5, -0.25, 0.125] }, { values: [1, 0] }],
      totalDuration: 10n,
      loadDuration: 1n,
      promptEvalCount: 2,
    },
  ],
  [
    ListModelsResponseSchema,
    { models: [{ name: "a:latest", model: "a:latest", modifiedAt: ts, size: 123n, digest: "ab".repeat(32), details }] },
  ],
  [
    ListRunningResponseSchema,
    { models: [{ name: "a:latest", model: "a:latest", size: 1n, digest: "cd", details, expiresAt: ts, sizeVram: 9n }] },
  ],
  [ShowModelRequestSchema, { model: "a", verbose: true }],
  [
    ShowModelResponseSchema,
    {
      license: "MIT",
      modelfile: "FROM a",
      parameters: "stop x",
      template: "t",
      system: "s",
      details,
      modelInfo: { fields: { "general.architecture": { kind: { case: "stringValue", value: "llama" } } } },
      capabilities: ["completion", "tools"],
      modifiedAt: ts,
    },
  ],
  [VersionResponseSchema, { version: "0.12.0" }],
  [
    InferenceRequestSchema,
    { modelVersion: "llama3.2:1b", inputData: new Uint8Array([1, 2, 3, 0]), metadata: { trace: "abc", tenant: "t1" } },
  ],
];

describe("the contract", () => {
  it.each(fixtures.map(([schema, init]) => [schema.typeName, schema, init] as const))(
    "%s round-trips through binary and JSON",
    (_name, schema, init) => {
      const msg = create(schema, init as never);
      const bin = fromBinary(schema, toBinary(schema, msg));
      expect(equals(schema, bin, msg)).toBe(true);
      const json = fromJson(schema, toJson(schema, msg));
      expect(equals(schema, json, msg)).toBe(true);
    },
  );

  it("keeps unset optional options distinct from zero", () => {
    const unset = fromBinary(OptionsSchema, toBinary(OptionsSchema, create(OptionsSchema, {})));
    expect(unset.temperature).toBeUndefined();
    expect(unset.numPredict).toBeUndefined();
    const zero = fromBinary(
      OptionsSchema,
      toBinary(OptionsSchema, create(OptionsSchema, { temperature: 0, numPredict: 0 })),
    );
    expect(zero.temperature).toBe(0);
    expect(zero.numPredict).toBe(0);
  });

  it("round-trips arbitrary options (property)", () => {
    const f32 = fc.float({ noNaN: true, noDefaultInfinity: true }).map(Math.fround);
    const i32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    const arb = fc.record(
      {
        numKeep: i32,
        seed: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
        numPredict: i32,
        topK: i32,
        topP: f32,
        minP: f32,
        temperature: f32,
        repeatPenalty: f32,
        stop: fc.array(fc.string()),
        numCtx: i32,
        useMmap: fc.boolean(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(arb, (init) => {
        const msg = create(OptionsSchema, init);
        expect(equals(OptionsSchema, fromBinary(OptionsSchema, toBinary(OptionsSchema, msg)), msg)).toBe(true);
        expect(equals(OptionsSchema, fromJson(OptionsSchema, toJson(OptionsSchema, msg)), msg)).toBe(true);
      }),
    );
  });

  it("declares the service's methods with their streaming kinds", () => {
    const m = InferenceService.method;
    expect(m.generate.methodKind).toBe("server_streaming");
    expect(m.chat.methodKind).toBe("server_streaming");
    for (const unary of [m.embed, m.listModels, m.listRunning, m.showModel, m.version]) {
      expect(unary.methodKind).toBe("unary");
    }
  });
});
