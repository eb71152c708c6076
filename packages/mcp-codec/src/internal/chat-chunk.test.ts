import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { type ChatResponse, ChatResponseSchema } from "@modelwire/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FrameType } from "../constants.js";
import {
  badMetrics,
  expectFrame,
  metrics,
  mutated,
  replyChunkBytes,
  text,
  timestamp,
} from "../test-support/chunk-arbitraries.js";
import {
  decodeChatContentChunk,
  decodeChatFinalChunk,
  encodeChatContentFrame,
  encodeChatFinalFrame,
} from "./chat-chunk.js";

const MODEL = "synthetic:latest";

/** The assistant message of a chunk: role, content and thinking only (what the codec handles). */
const message = fc.record({ role: fc.oneof(fc.constantFrom("assistant", ""), text), content: text, thinking: text });

/** A content chunk; `withMessage: false` sometimes leaves `message` unset (protobuf-es then omits it). */
function contentChunk(withMessage: boolean) {
  return fc
    .record({
      model: fc.oneof(fc.constant(MODEL), text),
      createdAt: timestamp,
      message: withMessage ? message : fc.option(message, { nil: undefined }),
    })
    .map((init) => create(ChatResponseSchema, init));
}

/** A final chunk (or one that only looks like it): content fields plus done, done_reason and metrics. */
function finalChunk(withMessage: boolean) {
  return fc
    .record({
      content: contentChunk(withMessage),
      done: fc.boolean(),
      doneReason: fc.oneof(fc.constantFrom("", "stop", "length"), text),
      metrics,
    })
    .map(({ content, ...rest }) => create(ChatResponseSchema, { ...content, ...rest }));
}

const streamId = fc.integer({ min: 1, max: 0x7fffffff });

/** A ChatResponse built by protobuf-es from `bytes`: keeps the unknown fields they hold. */
const parsed = (bytes: number[]) => fromBinary(ChatResponseSchema, new Uint8Array(bytes));

/** Chunks with something only protobuf-es writes (on top of an otherwise plain content chunk). */
function outsideTheCodec(done: boolean): ChatResponse[] {
  const base = { model: MODEL, done, doneReason: done ? "stop" : "" };
  const msg = { role: "assistant", content: "x" };
  return [
    create(ChatResponseSchema, { ...base, message: { ...msg, images: [new Uint8Array([1, 2])] } }),
    create(ChatResponseSchema, { ...base, message: { ...msg, toolCalls: [{ function: { name: "f" } }] } }),
    create(ChatResponseSchema, { ...base, message: { ...msg, toolName: "f" } }),
    create(ChatResponseSchema, { ...base, message: msg, createdAt: { seconds: -1n } }),
    create(ChatResponseSchema, { ...base, message: msg, createdAt: { nanos: -1 } }),
    create(ChatResponseSchema, { ...base, message: msg, createdAt: { seconds: BigInt(Number.MAX_SAFE_INTEGER) + 1n } }),
    parsed([0x1a, 0x00, 0xf8, 0x3e, 0x01]), // unknown top-level field
    parsed([0x1a, 0x03, 0xf8, 0x3e, 0x01]), // unknown field in message
    parsed([0x12, 0x03, 0xf8, 0x3e, 0x01]), // unknown field in created_at
  ];
}

describe("encodeChatContentFrame", () => {
  it("writes a DATA frame whose payload is byte-identical to protobuf-es toBinary", () => {
    fc.assert(
      fc.property(contentChunk(false), streamId, fc.nat(), (chunk, id, seq) => {
        expectFrame(
          encodeChatContentFrame(id, seq, chunk),
          toBinary(ChatResponseSchema, chunk),
          FrameType.Data,
          id,
          seq,
        );
      }),
      { numRuns: 500 },
    );
  });

  it("declines final-chunk fields, images, tool calls, a tool name and unknown fields", () => {
    const msg = { role: "assistant", content: "x" };
    const declined = [
      ...outsideTheCodec(false),
      create(ChatResponseSchema, { model: MODEL, message: msg, done: true }),
      create(ChatResponseSchema, { model: MODEL, message: msg, doneReason: "stop" }),
      create(ChatResponseSchema, { model: MODEL, message: msg, metrics: {} }),
    ];
    expect(declined[6].$unknown).toBeDefined();
    expect(declined[7].message?.$unknown).toBeDefined();
    expect(declined[8].createdAt?.$unknown).toBeDefined();
    for (const m of declined) expect(encodeChatContentFrame(1, 0, m)).toBeUndefined();
  });
});

describe("encodeChatFinalFrame", () => {
  it("writes an END frame whose payload is byte-identical to protobuf-es toBinary", () => {
    fc.assert(
      fc.property(fc.oneof(finalChunk(false), contentChunk(false)), streamId, fc.nat(), (chunk, id, seq) => {
        expectFrame(encodeChatFinalFrame(id, seq, chunk), toBinary(ChatResponseSchema, chunk), FrameType.End, id, seq);
      }),
      { numRuns: 500 },
    );
  });

  it("declines images, tool calls, a tool name, unknown fields and metrics it cannot write", () => {
    const declined = [
      ...outsideTheCodec(true),
      ...badMetrics.map((m) => create(ChatResponseSchema, { model: MODEL, done: true, metrics: m })),
      parsed([0x32, 0x03, 0xf8, 0x3e, 0x01]), // unknown field in metrics
    ];
    expect(declined.at(-1)?.metrics?.$unknown).toBeDefined();
    for (const m of declined) expect(encodeChatFinalFrame(1, 0, m)).toBeUndefined();
  });

  it("leaves a cache hit's final chunk to protobuf-es both ways", () => {
    const hit = create(ChatResponseSchema, {
      model: MODEL,
      done: true,
      metrics: { evalCount: 1 },
      cacheHit: { originalMetrics: { evalCount: 1 } },
    });
    expect(encodeChatFinalFrame(1, 0, hit)).toBeUndefined();
    expect(decodeChatFinalChunk(toBinary(ChatResponseSchema, hit))).toBeUndefined();
  });
});

/** Asserts that `decode` either declines `bytes` or returns what protobuf-es does; true when it decoded them. */
function sameOrDeclined(decode: (b: Uint8Array) => ChatResponse | undefined, bytes: Uint8Array): boolean {
  const mine = decode(bytes);
  if (mine === undefined) return false;
  expect(mine).toStrictEqual(fromBinary(ChatResponseSchema, bytes));
  return true;
}

const chatBytes = replyChunkBytes({
  strings: [0x0a, 0x2a],
  done: 0x20,
  metrics: 0x32,
  // role, content, thinking; images and tool_name, which the decoders decline.
  wrap: { tag: 0x1a, inner: [0x0a, 0x12, 0x1a, 0x22, 0x32] },
});

const encoded = (chunks: fc.Arbitrary<ChatResponse>) => chunks.map((c) => toBinary(ChatResponseSchema, c));

/** The payloads the decoders must decline, with what is wrong with them. */
function declinedPayloads(final: boolean): [string, Uint8Array][] {
  const msg = { role: "assistant", content: "x" };
  const bin = (m: ChatResponse) => toBinary(ChatResponseSchema, m);
  const cases: [string, Uint8Array][] = [
    ["no message", bin(create(ChatResponseSchema, { model: MODEL }))],
    ["images", bin(outsideTheCodec(final)[0])],
    ["tool calls", bin(outsideTheCodec(final)[1])],
    ["tool name", bin(outsideTheCodec(final)[2])],
    ["unknown field", new Uint8Array([0x1a, 0x00, 0xf8, 0x3e, 0x01])],
    ["unknown field in message", new Uint8Array([0x1a, 0x03, 0xf8, 0x3e, 0x01])],
    ["repeated model", new Uint8Array([0x1a, 0x00, 0x0a, 0x01, 0x61, 0x0a, 0x01, 0x62])],
    ["repeated message", new Uint8Array([0x1a, 0x00, 0x1a, 0x00])],
    ["repeated content", new Uint8Array([0x1a, 0x06, 0x12, 0x01, 0x61, 0x12, 0x01, 0x62])],
    ["message overruns its length", new Uint8Array([0x1a, 0x02, 0x12, 0x01, 0x61])],
    ["truncated", new Uint8Array([0x1a, 0x05, 0x12])],
    ["invalid UTF-8", new Uint8Array([0x1a, 0x03, 0x12, 0x01, 0x80])],
    ["done as a 2-byte varint", new Uint8Array([0x1a, 0x00, 0x20, 0x81, 0x00])],
    ["unknown metrics field", new Uint8Array([0x1a, 0x00, 0x32, 0x02, 0x38, 0x01])],
  ];
  if (!final) {
    cases.push([
      "final chunk",
      bin(create(ChatResponseSchema, { message: msg, done: true, metrics: { evalCount: 1 } })),
    ]);
  }
  return cases;
}

describe.each([
  ["decodeChatContentChunk", decodeChatContentChunk, false],
  ["decodeChatFinalChunk", decodeChatFinalChunk, true],
] as const)("%s", (_, decode, final) => {
  const valid = final ? fc.oneof(finalChunk(true), contentChunk(true)) : contentChunk(true);

  it("returns what protobuf-es fromBinary returns, for random valid chunks", () => {
    fc.assert(
      fc.property(encoded(valid), (bytes) => {
        expect(sameOrDeclined(decode, bytes)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("declines what it does not decode (protobuf-es decodes or rejects those)", () => {
    for (const [what, bytes] of declinedPayloads(final)) expect(decode(bytes), what).toBeUndefined();
  });

  it("never returns a message other than protobuf-es's, for random and mutated bytes", () => {
    let decoded = 0;
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 60 }), chatBytes, mutated(encoded(valid))), (bytes) => {
        if (sameOrDeclined(decode, bytes)) decoded++;
      }),
      { numRuns: 3000 },
    );
    // Some of the inputs are valid (mutations that keep the payload well-formed, generated ones): the check bites.
    expect(decoded).toBeGreaterThan(50);
  });
});
