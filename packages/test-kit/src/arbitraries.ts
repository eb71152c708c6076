import { create } from "@bufbuild/protobuf";
import { DurationSchema } from "@bufbuild/protobuf/wkt";
import { type GenerateRequest, GenerateRequestSchema, OptionsSchema, ThinkSchema } from "@modelwire/core";
import fc from "fast-check";

/** fast-check arbitraries for GenerateRequest, shared by the hand-written encoder's and decoder's tests. */

/** Short strings: ASCII-ish, graphemes, and any UTF-16 code units (lone surrogates included). */
export const text = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: "grapheme", maxLength: 30 }),
  fc.string({ unit: "binary", maxLength: 30 }),
);
/** Strings long enough for the TextDecoder/encodeInto paths, with a leading BOM and lone surrogates now and then. */
export const longText = fc
  .array(fc.constantFrom("a", "é", "日", "🙂", "\ud800", "\ufeff", " "), { minLength: 10, maxLength: 80 })
  .map((parts) => parts.join(""));
export const int32 = fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.constantFrom(0, -1, 127, 128)); // -0: see the edge-value test
export const int64 = fc.oneof(
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.constantFrom(0n, -1n, 2n ** 31n, 2n ** 32n, 2n ** 53n, 2n ** 56n - 1n, 2n ** 56n, 2n ** 63n - 1n, -(2n ** 63n)),
);
/** float32-representable doubles plus the specials: NaN, ±0, ±Infinity. */
export const float = fc.oneof(
  fc.float(),
  fc.constantFrom(Number.NaN, -0, 0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 3.4028234663852886e38),
  fc.double({ min: -3.4e38, max: 3.4e38, noNaN: true }).map(Math.fround),
);
export const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 2 });
export const bytes = fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.constant(new Uint8Array(0)));

/** GenerateRequest messages (every field, options and think included) whose strings come from `str`. */
export function generateRequests(str: fc.Arbitrary<string> = text): fc.Arbitrary<GenerateRequest> {
  const options = fc.record({
    numKeep: opt(int32),
    seed: opt(int64),
    numPredict: opt(int32),
    topK: opt(int32),
    topP: opt(float),
    minP: opt(float),
    typicalP: opt(float),
    repeatLastN: opt(int32),
    temperature: opt(float),
    repeatPenalty: opt(float),
    presencePenalty: opt(float),
    frequencyPenalty: opt(float),
    stop: fc.array(str, { maxLength: 4 }),
    numCtx: opt(int32),
    numBatch: opt(int32),
    numGpu: opt(int32),
    mainGpu: opt(int32),
    useMmap: opt(fc.boolean()),
    numThread: opt(int32),
  });
  const think = fc.oneof(
    fc.constant({ value: { case: undefined } }),
    fc.boolean().map((value) => ({ value: { case: "enabled" as const, value } })),
    str.map((value) => ({ value: { case: "level" as const, value } })),
  );
  return fc
    .record({
      model: str,
      prompt: str,
      suffix: str,
      system: str,
      template: str,
      context: fc.array(int32, { maxLength: 8 }),
      stream: opt(fc.boolean()),
      raw: fc.boolean(),
      format: str,
      keepAlive: opt(fc.record({ seconds: int64, nanos: int32 })),
      images: fc.array(bytes, { maxLength: 3 }),
      options: opt(options),
      think: opt(think),
    })
    .map((r) =>
      create(GenerateRequestSchema, {
        ...r,
        keepAlive: r.keepAlive && create(DurationSchema, r.keepAlive),
        options: r.options && create(OptionsSchema, r.options),
        think: r.think && create(ThinkSchema, r.think),
      }),
    );
}
