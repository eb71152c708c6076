import { create } from "@bufbuild/protobuf";
import { type Duration, DurationSchema } from "@bufbuild/protobuf/wkt";
import {
  type GenerateRequest,
  GenerateRequestSchema,
  type Options,
  OptionsSchema,
  type Think,
  ThinkSchema,
} from "@modelwire/core";
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

/** The value domains a GenerateRequest is built from; {@link generateRequests} takes any of them to narrow it. */
export interface RequestDomains {
  /** Every string field (model, prompt, stop words, ...). */
  text: fc.Arbitrary<string>;
  /** int32 fields (context, num_ctx, ...). */
  int32: fc.Arbitrary<number>;
  /** The seed. */
  int64: fc.Arbitrary<bigint>;
  /** float fields (temperature, top_p, ...). */
  float: fc.Arbitrary<number>;
  /** Each image. */
  bytes: fc.Arbitrary<Uint8Array>;
  /** The `format` field. */
  format: fc.Arbitrary<string>;
  /** `keep_alive`. */
  keepAlive: fc.Arbitrary<Duration>;
  /** `think`. */
  think: fc.Arbitrary<Think>;
}

/** The widest domains: every value the binary codecs must carry (NaN, -0, lone surrogates, any int64). */
function binaryDomains(str: fc.Arbitrary<string>): RequestDomains {
  return {
    text: str,
    int32,
    int64,
    float,
    bytes,
    format: str,
    keepAlive: fc.record({ seconds: int64, nanos: int32 }).map((d) => create(DurationSchema, d)),
    think: fc
      .oneof(
        fc.constant({ value: { case: undefined } }),
        fc.boolean().map((value) => ({ value: { case: "enabled" as const, value } })),
        str.map((value) => ({ value: { case: "level" as const, value } })),
      )
      .map((t) => create(ThinkSchema, t)),
  };
}

/** Options messages (every field) from the given domains. */
export function optionsOf(d: Pick<RequestDomains, "text" | "int32" | "int64" | "float">): fc.Arbitrary<Options> {
  return fc
    .record({
      numKeep: opt(d.int32),
      seed: opt(d.int64),
      numPredict: opt(d.int32),
      topK: opt(d.int32),
      topP: opt(d.float),
      minP: opt(d.float),
      typicalP: opt(d.float),
      repeatLastN: opt(d.int32),
      temperature: opt(d.float),
      repeatPenalty: opt(d.float),
      presencePenalty: opt(d.float),
      frequencyPenalty: opt(d.float),
      stop: fc.array(d.text, { maxLength: 4 }),
      numCtx: opt(d.int32),
      numBatch: opt(d.int32),
      numGpu: opt(d.int32),
      mainGpu: opt(d.int32),
      useMmap: opt(fc.boolean()),
      numThread: opt(d.int32),
    })
    .map((o) => create(OptionsSchema, o));
}

/**
 * GenerateRequest messages (every field, options and think included). Given a string arbitrary, every string
 * comes from it and every other field from the widest domains; given domains, those replace the widest ones (e.g.
 * JSON-representable values for the HTTP mapping).
 */
export function generateRequests(
  domains: fc.Arbitrary<string> | Partial<RequestDomains> = text,
): fc.Arbitrary<GenerateRequest> {
  const d =
    domains instanceof fc.Arbitrary ? binaryDomains(domains) : { ...binaryDomains(domains.text ?? text), ...domains };
  return fc
    .record({
      model: d.text,
      prompt: d.text,
      suffix: d.text,
      system: d.text,
      template: d.text,
      context: fc.array(d.int32, { maxLength: 8 }),
      stream: opt(fc.boolean()),
      raw: fc.boolean(),
      format: d.format,
      keepAlive: opt(d.keepAlive),
      images: fc.array(d.bytes, { maxLength: 3 }),
      options: opt(optionsOf(d)),
      think: opt(d.think),
    })
    .map((r) => create(GenerateRequestSchema, r));
}
