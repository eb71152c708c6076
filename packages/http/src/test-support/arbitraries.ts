import { create } from "@bufbuild/protobuf";
import { DurationSchema, TimestampSchema } from "@bufbuild/protobuf/wkt";
import {
  ChatRequestSchema,
  ChatResponseSchema,
  EmbedRequestSchema,
  EmbedResponseSchema,
  GenerateResponseSchema,
  ListModelsResponseSchema,
  ListRunningResponseSchema,
  ModelDetailsSchema,
  ShowModelRequestSchema,
  ShowModelResponseSchema,
  ThinkSchema,
  VersionResponseSchema,
} from "@modelwire/core";
import { generateRequests, optionsOf } from "@modelwire/test-kit/arbitraries";
import fc from "fast-check";

const f32 = fc.float({ noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x));
const int32 = fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff });
const nat32 = fc.integer({ min: 0, max: 0x7fff_ffff });
const safeBig = fc.bigInt({ min: 0n, max: BigInt(Number.MAX_SAFE_INTEGER) });
const text = fc.string({ unit: "grapheme", maxLength: 24 });
/** Seeds JSON numbers carry exactly. */
const seed52 = fc.bigInt({ min: -(2n ** 52n), max: 2n ** 52n });
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

/** Timestamps between 1970 and 9999 with any nanoseconds. */
export const timestampArb = fc
  .record({ seconds: fc.bigInt({ min: 0n, max: 253_402_300_799n }), nanos: fc.integer({ min: 0, max: 999_999_999 }) })
  .map((t) => create(TimestampSchema, t));

/** keep_alive values Ollama can carry: non-negative durations, or -1 s ("forever"). */
export const keepAliveArb = fc.oneof(
  fc.constant(create(DurationSchema, { seconds: -1n, nanos: 0 })),
  fc
    .bigInt({ min: 0n, max: 10n ** 15n })
    .map((ns) => create(DurationSchema, { seconds: ns / 1_000_000_000n, nanos: Number(ns % 1_000_000_000n) })),
);

/** Options as JSON carries them: finite float32 values, seeds within ±2^52. */
export const optionsArb = optionsOf({
  text,
  int32,
  int64: seed52,
  float: f32,
});

export const thinkArb = fc.oneof(
  fc.boolean().map((v) => create(ThinkSchema, { value: { case: "enabled", value: v } })),
  fc.constantFrom("high", "medium", "low").map((v) => create(ThinkSchema, { value: { case: "level", value: v } })),
);

const jsonLeaf = fc.oneof(text, fc.boolean(), fc.constant(null), fc.integer({ min: -1e6, max: 1e6 }));
/** A JSON object as a google.protobuf.Struct can carry it. */
export const jsonObjectArb = fc.dictionary(
  fc.string({ maxLength: 8 }).filter((k) => k !== "__proto__"),
  fc.oneof(jsonLeaf, fc.array(jsonLeaf, { maxLength: 3 })),
  { maxKeys: 4 },
);

export const formatArb = fc.oneof(
  fc.constant(""),
  fc.constant('"json"'),
  jsonObjectArb.map((o) => JSON.stringify(o)),
);

const bytes = fc.uint8Array({ maxLength: 40 });

/** GenerateRequests as Ollama's JSON can carry them. */
export const generateRequestArb = generateRequests({
  text,
  int32,
  int64: seed52,
  float: f32,
  bytes,
  format: formatArb,
  keepAlive: keepAliveArb,
  think: thinkArb,
});

export const metricsArb = fc.record({
  totalDuration: safeBig,
  loadDuration: safeBig,
  promptEvalCount: nat32,
  promptEvalDuration: safeBig,
  evalCount: nat32,
  evalDuration: safeBig,
});

export const generateResponseArb = fc
  .record({
    model: text,
    createdAt: opt(timestampArb),
    response: text,
    thinking: text,
    done: fc.boolean(),
    doneReason: text,
    context: fc.array(int32, { maxLength: 5 }),
    metrics: opt(metricsArb),
  })
  .map((r) => create(GenerateResponseSchema, r));

const toolCallArb = fc.record({ function: fc.record({ index: int32, name: text, arguments: jsonObjectArb }) });

export const messageArb = fc.record({
  role: fc.constantFrom("system", "user", "assistant", "tool"),
  content: text,
  thinking: text,
  images: fc.array(bytes, { maxLength: 2 }),
  toolCalls: fc.array(toolCallArb, { maxLength: 2 }),
  toolName: text,
});

const toolArb = fc.record({
  type: fc.constant("function"),
  function: fc.record({ name: text, description: text, parameters: opt(jsonObjectArb) }),
});

export const chatRequestArb = fc
  .record({
    model: text,
    messages: fc.array(messageArb, { maxLength: 4 }),
    stream: opt(fc.boolean()),
    format: formatArb,
    keepAlive: opt(keepAliveArb),
    tools: fc.array(toolArb, { maxLength: 2 }),
    options: opt(optionsArb),
    think: opt(thinkArb),
  })
  .map((r) => create(ChatRequestSchema, r));

export const chatResponseArb = fc
  .record({
    model: text,
    createdAt: opt(timestampArb),
    message: messageArb,
    done: fc.boolean(),
    doneReason: text,
    metrics: opt(metricsArb),
  })
  .map((r) => create(ChatResponseSchema, r));

export const embedRequestArb = fc
  .record({
    model: text,
    input: fc.array(text, { maxLength: 4 }),
    truncate: opt(fc.boolean()),
    keepAlive: opt(keepAliveArb),
    options: opt(optionsArb),
    dimensions: int32,
  })
  .map((r) => create(EmbedRequestSchema, r));

export const embedResponseArb = fc
  .record({
    model: text,
    embeddings: fc.array(fc.record({ values: fc.array(f32, { maxLength: 8 }) }), { maxLength: 3 }),
    totalDuration: safeBig,
    loadDuration: safeBig,
    promptEvalCount: nat32,
  })
  .map((r) => create(EmbedResponseSchema, r));

const detailsArb = fc
  .record({
    parentModel: text,
    format: text,
    family: text,
    families: fc.array(text, { maxLength: 3 }),
    parameterSize: text,
    quantizationLevel: text,
  })
  .map((d) => create(ModelDetailsSchema, d));

export const listResponseArb = fc
  .array(
    fc.record({
      name: text,
      model: text,
      modifiedAt: opt(timestampArb),
      size: safeBig,
      digest: text,
      details: opt(detailsArb),
    }),
    { maxLength: 3 },
  )
  .map((models) => create(ListModelsResponseSchema, { models }));

export const psResponseArb = fc
  .array(
    fc.record({
      name: text,
      model: text,
      size: safeBig,
      digest: text,
      details: opt(detailsArb),
      expiresAt: opt(timestampArb),
      sizeVram: safeBig,
    }),
    { maxLength: 3 },
  )
  .map((models) => create(ListRunningResponseSchema, { models }));

export const showRequestArb = fc
  .record({ model: text, verbose: fc.boolean() })
  .map((r) => create(ShowModelRequestSchema, r));

export const showResponseArb = fc
  .record({
    license: text,
    modelfile: text,
    parameters: text,
    template: text,
    system: text,
    details: opt(detailsArb),
    modelInfo: opt(jsonObjectArb),
    capabilities: fc.array(text, { maxLength: 3 }),
    modifiedAt: opt(timestampArb),
  })
  .map((r) => create(ShowModelResponseSchema, r));

export const versionResponseArb = text.map((version) => create(VersionResponseSchema, { version }));
