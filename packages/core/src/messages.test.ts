import { create } from "@bufbuild/protobuf";
import { TimestampSchema, timestampFromMs } from "@bufbuild/protobuf/wkt";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ChatResponseSchema } from "./gen/modelwire/v1/chat_pb.js";
import { GenerateResponseSchema, MetricsSchema } from "./gen/modelwire/v1/generate_pb.js";
import { newChatResponse, newGenerateResponse, newMetrics, newTimestamp, timestampOfMs } from "./messages.js";

const text = fc.string({ unit: "binary", maxLength: 20 });
const u63 = fc.bigInt({ min: 0n, max: 2n ** 63n - 1n });
const i32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const ts = fc
  .record({ seconds: fc.bigInt({ min: 0n, max: 2n ** 40n }), nanos: fc.integer({ min: 0, max: 999_999_999 }) })
  .map(({ seconds, nanos }) => newTimestamp(seconds, nanos));
const metrics = fc.tuple(u63, u63, i32, u63, i32, u63).map(([a, b, c, d, e, f]) => newMetrics(a, b, c, d, e, f));
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

describe("message literals equal protobuf-es create()", () => {
  it("a zero message has exactly create()'s keys (fails when the schema gains a field)", () => {
    expect(newGenerateResponse({})).toStrictEqual(create(GenerateResponseSchema));
    expect(newChatResponse({})).toStrictEqual(create(ChatResponseSchema, { message: {} }));
    expect(newMetrics(0n, 0n, 0, 0n, 0, 0n)).toStrictEqual(create(MetricsSchema));
    expect(newTimestamp(0n, 0)).toStrictEqual(create(TimestampSchema));
  });

  it("GenerateResponse over random fields", () => {
    fc.assert(
      fc.property(
        fc.record(
          {
            model: text,
            createdAt: ts,
            response: text,
            thinking: text,
            done: fc.boolean(),
            doneReason: text,
            context: fc.array(i32, { maxLength: 4 }),
            metrics,
          },
          { requiredKeys: [] },
        ),
        (f) => {
          expect(newGenerateResponse(f)).toStrictEqual(create(GenerateResponseSchema, f));
        },
      ),
    );
  });

  it("ChatResponse over random fields", () => {
    fc.assert(
      fc.property(
        fc.record({
          model: opt(text),
          createdAt: opt(ts),
          role: opt(text),
          content: opt(text),
          thinking: opt(text),
          done: opt(fc.boolean()),
          doneReason: opt(text),
          metrics: opt(metrics),
        }),
        (f) => {
          const { role, content, thinking, ...rest } = f;
          const init = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
          expect(newChatResponse(f)).toStrictEqual(
            create(ChatResponseSchema, { ...init, message: { role, content, thinking } }),
          );
        },
      ),
    );
  });

  it("timestampOfMs equals timestampFromMs", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 45 }), (ms) => {
        expect(timestampOfMs(ms)).toStrictEqual(timestampFromMs(ms));
      }),
    );
    expect(timestampOfMs(1_795_630_712_046)).toStrictEqual(timestampFromMs(1_795_630_712_046));
  });
});
