/**
 * Drift guard for the hand-written Protobuf codecs. Each codec reads and writes named fields by hand, so a field
 * added to `proto/` would be dropped silently and the differential tests (which generate only the fields they know)
 * would not notice. Here every codec states the fields it was written against — number, proto name, kind — and
 * the test compares them with the generated protobuf-es schema (`packages/core/src/gen`), for the message and
 * every sub-message the codec reads into. A difference fails with the codec's files to update.
 */
import type { DescMessage } from "@bufbuild/protobuf";
import { DurationSchema, TimestampSchema } from "@bufbuild/protobuf/wkt";
import {
  ChatResponseSchema,
  GenerateRequestSchema,
  GenerateResponseSchema,
  InferenceRequestSchema,
  MessageSchema,
  MetricsSchema,
  OptionsSchema,
  ThinkSchema,
} from "@modelwire/core";
import { describe, expect, it } from "vitest";
import { type MessagePin, nestedOf, pinDiff } from "../test-support/field-pins.js";
import { CHAT_LAYOUT } from "./chat-chunk.js";
import { GENERATE_LAYOUT } from "./generate-chunk.js";
import type { ReplyChunkLayout } from "./reply-chunk.js";

/** Where the codecs live, relative to the repository root. */
const SRC = "packages/mcp-codec/src/internal";

/** Every message type a pin may name. */
const SCHEMAS: readonly DescMessage[] = [
  GenerateRequestSchema,
  OptionsSchema,
  ThinkSchema,
  DurationSchema,
  GenerateResponseSchema,
  ChatResponseSchema,
  MessageSchema,
  MetricsSchema,
  TimestampSchema,
  InferenceRequestSchema,
];

const GENERATE_REQUEST: Record<string, MessagePin> = {
  "modelwire.v1.GenerateRequest": {
    handled: [
      "1 model string",
      "2 prompt string",
      "3 suffix string",
      "4 system string",
      "5 template string",
      "6 context repeated int32 packed",
      "7 stream optional bool",
      "8 raw bool",
      "9 format string",
      "10 keep_alive google.protobuf.Duration",
      "11 images repeated bytes",
      "12 options modelwire.v1.Options",
      "13 think modelwire.v1.Think",
    ],
  },
  "modelwire.v1.Options": {
    handled: [
      "1 num_keep optional int32",
      "2 seed optional int64",
      "3 num_predict optional int32",
      "4 top_k optional int32",
      "5 top_p optional float",
      "6 min_p optional float",
      "7 typical_p optional float",
      "8 repeat_last_n optional int32",
      "9 temperature optional float",
      "10 repeat_penalty optional float",
      "11 presence_penalty optional float",
      "12 frequency_penalty optional float",
      "13 stop repeated string",
      "20 num_ctx optional int32",
      "21 num_batch optional int32",
      "22 num_gpu optional int32",
      "23 main_gpu optional int32",
      "24 use_mmap optional bool",
      "25 num_thread optional int32",
    ],
  },
  "modelwire.v1.Think": { handled: ["1 enabled bool oneof value", "2 level string oneof value"] },
  "google.protobuf.Duration": { handled: ["1 seconds int64", "2 nanos int32"] },
};

const METRICS: MessagePin = {
  handled: [
    "1 total_duration int64",
    "2 load_duration int64",
    "3 prompt_eval_count int32",
    "4 prompt_eval_duration int64",
    "5 eval_count int32",
    "6 eval_duration int64",
  ],
};

const TIMESTAMP: MessagePin = { handled: ["1 seconds int64", "2 nanos int32"] };

/** A hand-written codec: what it is, the files to update when its message changes, and its pins. */
interface CodecPins {
  readonly codec: string;
  readonly files: readonly string[];
  readonly root: DescMessage;
  readonly pins: Record<string, MessagePin>;
}

const CODECS: readonly CodecPins[] = [
  {
    codec: "GenerateRequest encoder",
    files: [`${SRC}/generate-request.ts`],
    root: GenerateRequestSchema,
    pins: GENERATE_REQUEST,
  },
  {
    codec: "GenerateRequest decoder",
    files: [`${SRC}/generate-request-decode.ts`],
    root: GenerateRequestSchema,
    pins: GENERATE_REQUEST,
  },
  {
    codec: "GenerateResponse chunk codec",
    files: [
      `${SRC}/generate-chunk.ts`,
      `${SRC}/reply-chunk.ts`,
      "packages/core/src/messages.ts (newGenerateResponse, newMetrics)",
    ],
    root: GenerateResponseSchema,
    pins: {
      "modelwire.v1.GenerateResponse": {
        handled: [
          "1 model string",
          "2 created_at google.protobuf.Timestamp",
          "3 response string",
          "4 thinking string",
          "5 done bool",
          "6 done_reason string",
          "7 context repeated int32 packed",
          "8 metrics modelwire.v1.Metrics",
        ],
        declined: ["9 cache_hit modelwire.v1.CacheHit"],
      },
      "modelwire.v1.Metrics": METRICS,
      "google.protobuf.Timestamp": TIMESTAMP,
    },
  },
  {
    codec: "ChatResponse chunk codec",
    files: [`${SRC}/chat-chunk.ts`, `${SRC}/reply-chunk.ts`, "packages/core/src/messages.ts (newChatResponse)"],
    root: ChatResponseSchema,
    pins: {
      "modelwire.v1.ChatResponse": {
        handled: [
          "1 model string",
          "2 created_at google.protobuf.Timestamp",
          "3 message modelwire.v1.Message",
          "4 done bool",
          "5 done_reason string",
          "6 metrics modelwire.v1.Metrics",
        ],
        declined: ["7 cache_hit modelwire.v1.CacheHit"],
      },
      "modelwire.v1.Message": {
        handled: ["1 role string", "2 content string", "3 thinking string"],
        declined: ["4 images repeated bytes", "5 tool_calls repeated modelwire.v1.ToolCall", "6 tool_name string"],
      },
      "modelwire.v1.Metrics": METRICS,
      "google.protobuf.Timestamp": TIMESTAMP,
    },
  },
  {
    codec: "InferenceRequest encoder (the OPEN body)",
    files: [`${SRC}/open-frame.ts`],
    root: InferenceRequestSchema,
    pins: {
      "modelwire.v1.InferenceRequest": {
        handled: ["1 model_version string", "2 input_data bytes", "3 metadata map<string, string>"],
      },
    },
  },
  {
    codec: "InferenceRequest decoder",
    files: [`${SRC}/inference-request-decode.ts`],
    root: InferenceRequestSchema,
    pins: {
      "modelwire.v1.InferenceRequest": {
        handled: ["1 model_version string", "2 input_data bytes", "3 metadata map<string, string>"],
      },
    },
  },
];

/**
 * Walks the codec's message and the sub-messages it handles, comparing each with its pin; returns the failure
 * message (naming the codec and its files) or `undefined`.
 */
function drift(c: CodecPins): string | undefined {
  const problems: string[] = [];
  const seen = new Set<string>();
  const visit = (desc: DescMessage) => {
    if (seen.has(desc.typeName)) return;
    seen.add(desc.typeName);
    const pin = c.pins[desc.typeName];
    if (!pin) {
      problems.push(`${desc.typeName}: the codec reads into it, but no pin lists its fields`);
      return;
    }
    const diff = pinDiff(desc, pin);
    if (diff.length > 0) problems.push(`${desc.typeName}:`, ...diff);
    for (const n of nestedOf(desc, pin.handled)) visit(n);
  };
  visit(c.root);
  for (const name of Object.keys(c.pins)) {
    if (!seen.has(name)) problems.push(`${name}: pinned, but the codec no longer reaches it`);
  }
  if (problems.length === 0) return undefined;
  return [
    `The ${c.codec} no longer matches the generated schema (packages/core/src/gen, from proto/):`,
    ...problems,
    `Update the hand-written codec in ${c.files.join(", ")} to write/read the field (or to decline messages that`,
    "carry it, so they go through protobuf-es), extend its differential tests, then its pin in",
    `${SRC}/drift.test.ts.`,
  ].join("\n");
}

describe("hand-written codecs match the generated schema", () => {
  it.each(CODECS)("$codec", (c) => {
    const failure = drift(c);
    if (failure !== undefined) expect.fail(failure);
  });

  it("every pinned message type is known here", () => {
    const known = new Set(SCHEMAS.map((s) => s.typeName));
    for (const c of CODECS) for (const name of Object.keys(c.pins)) expect(known, name).toContain(name);
  });

  it("the pins catch a field added to a message", () => {
    // The check must be able to fail: a descriptor with one more field than the pin.
    const extra = { ...MetricsSchema.fields[0], number: 99, name: "new_field" };
    const changed = { ...MetricsSchema, fields: [...MetricsSchema.fields, extra] } as DescMessage;
    expect(pinDiff(changed, METRICS)).toEqual(["  in the schema, not in the codec's list: 99 new_field int64"]);
  });
});

/** The tag of field `name` of `desc` with wire type `wire`. */
function tag(desc: DescMessage, name: string, wire: number): number {
  const f = desc.fields.find((x) => x.name === name);
  if (!f) throw new Error(`${desc.typeName} has no field ${name}`);
  return (f.number << 3) | wire;
}

/** The reply chunk layouts (tags the shared reply chunk codec reads and writes) and the fields they stand for. */
const LAYOUTS = [
  {
    name: `GenerateResponse (${SRC}/generate-chunk.ts GENERATE_LAYOUT)`,
    layout: GENERATE_LAYOUT as ReplyChunkLayout<unknown>,
    desc: GenerateResponseSchema,
    wrap: undefined,
    textDesc: GenerateResponseSchema,
    texts: ["response", "thinking"],
  },
  {
    name: `ChatResponse (${SRC}/chat-chunk.ts CHAT_LAYOUT)`,
    layout: CHAT_LAYOUT as ReplyChunkLayout<unknown>,
    desc: ChatResponseSchema,
    wrap: "message",
    textDesc: MessageSchema,
    texts: ["role", "content", "thinking"],
  },
];

describe("the reply chunk layouts use the schema's field numbers", () => {
  it.each(LAYOUTS)("$name", ({ layout, desc, wrap, textDesc, texts }) => {
    expect(layout.wrapTag).toBe(wrap === undefined ? -1 : tag(desc, wrap, 2));
    expect(layout.textCount).toBe(texts.length);
    // Text fields sit at consecutive field numbers from textTag.
    expect(texts.map((_, i) => layout.textTag + 8 * i)).toEqual(texts.map((t) => tag(textDesc, t, 2)));
    expect(layout.doneTag).toBe(tag(desc, "done", 0));
    expect(layout.doneReasonTag).toBe(tag(desc, "done_reason", 2));
    expect(layout.metricsTag).toBe(tag(desc, "metrics", 2));
    // model and created_at are fixed tags in the codec.
    expect([tag(desc, "model", 2), tag(desc, "created_at", 2)]).toEqual([0x0a, 0x12]);
  });
});
