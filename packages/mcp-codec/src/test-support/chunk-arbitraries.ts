/**
 * fast-check arbitraries and checks shared by the reply chunk codec tests (generate-chunk.test.ts,
 * chat-chunk.test.ts): field values that stress the hand-written codec, byte strings that are mostly well-formed
 * reply chunk payloads, and mutations of valid payloads.
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { type Timestamp, TimestampSchema } from "@bufbuild/protobuf/wkt";
import { type Metrics, MetricsSchema } from "@modelwire/core";
import fc from "fast-check";
import { expect } from "vitest";
import type { FrameType } from "../constants.js";
import { HEADER_SIZE } from "../constants.js";
import { createFrameDecoder } from "../decoder.js";
import { sameBytes } from "./bytes.js";

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * A string field's value: short ASCII, graphemes, any UTF-16 code units (lone surrogates included), empty, and
 * long ones (over the 64 characters from which the writer uses native UTF-8 code).
 */
export const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constant(""),
  fc.string({ unit: "binary", minLength: 65, maxLength: 300 }),
  fc.string({ minLength: 65, maxLength: 300 }),
);

/** A `created_at` the codec writes (seconds and nanos ≥ 0, seconds ≤ 2^53 − 1), or none. */
export const timestamp: fc.Arbitrary<Timestamp | undefined> = fc.option(
  fc
    .record({
      seconds: fc.oneof(fc.constantFrom(0n, 1n, MAX_SAFE), fc.bigInt({ min: 0n, max: MAX_SAFE })),
      nanos: fc.oneof(fc.constantFrom(0, 999_999_999), fc.integer({ min: 0, max: 999_999_999 })),
    })
    .map((ts) => create(TimestampSchema, ts)),
  { nil: undefined },
);

const int64 = fc.oneof(fc.constantFrom(0n, 1n, 127n, 128n, MAX_SAFE), fc.bigInt({ min: 0n, max: MAX_SAFE }));
const int32 = fc.oneof(fc.constantFrom(0, 1, 0x7fffffff), fc.integer({ min: 0, max: 0x7fffffff }));

/** Metrics the codec writes (every field ≥ 0, int64 ones ≤ 2^53 − 1, edges included), or none. */
export const metrics: fc.Arbitrary<Metrics | undefined> = fc.option(
  fc
    .record({
      totalDuration: int64,
      loadDuration: int64,
      promptEvalCount: int32,
      promptEvalDuration: int64,
      evalCount: int32,
      evalDuration: int64,
    })
    .map((m) => create(MetricsSchema, m)),
  { nil: undefined },
);

/** What makes the encoders decline a Metrics: a negative field or an int64 above 2^53 − 1. */
export const badMetrics: MessageInitShape<typeof MetricsSchema>[] = [
  { evalCount: -1 },
  { promptEvalCount: -2147483648 },
  { totalDuration: -5n },
  { evalDuration: MAX_SAFE + 1n },
  { loadDuration: -(2n ** 63n) },
];

/** A metrics field tag: usually one of the six, sometimes anything. */
const metricTag = fc.oneof(fc.constantFrom(0x08, 0x10, 0x18, 0x20, 0x28, 0x30), fc.integer({ min: 0, max: 0x3f }));

/** A varint of 1..10 bytes (values up to 2^70, so beyond the safe range too), sometimes truncated. */
const varintish = fc
  .tuple(fc.array(fc.integer({ min: 0x80, max: 0xff }), { maxLength: 9 }), fc.option(fc.integer({ min: 0, max: 0x7f })))
  .map(([more, last]) => (last === null ? more : [...more, last]));

/** A length-delimited field `tag` with a (usually right) length and the body `body`. */
function lengthDelimited(tag: number, body: number[] | Uint8Array): fc.Arbitrary<number[]> {
  return fc
    .oneof(fc.constant(body.length), fc.integer({ min: 0, max: body.length + 3 }))
    .map((len) => [tag, len, ...body]);
}

/** The tags of a reply chunk message's fields, for {@link replyChunkBytes}. */
export interface ReplyChunkTags {
  /** Tags of string fields (model, texts, done_reason). */
  strings: number[];
  done: number;
  metrics: number;
  /** Tag of a sub-message whose fields are the string fields `inner`. */
  wrap?: { tag: number; inner: number[] };
  /** Tags of length-delimited bodies of random varints (a packed repeated field, or the wrong wire type for it). */
  packed?: number[];
}

/** Mostly well-formed reply chunk payloads, some broken: random bools, strings, metrics bodies and sub-messages. */
export function replyChunkBytes(tags: ReplyChunkTags): fc.Arbitrary<Uint8Array> {
  const str = (t: number[]) =>
    fc.tuple(fc.constantFrom(...t), fc.uint8Array({ maxLength: 6 })).chain(([tag, b]) => lengthDelimited(tag, b));
  const parts = [
    fc.tuple(fc.constant(tags.done), fc.uint8Array({ minLength: 1, maxLength: 2 })).map(([t, b]) => [t, ...b]),
    str(tags.strings),
    fc
      .array(fc.tuple(metricTag, varintish), { maxLength: 6 })
      .chain((fields) => lengthDelimited(tags.metrics, fields.flat(2))),
  ];
  if (tags.packed && tags.packed.length > 0) {
    const packed = tags.packed;
    parts.push(
      fc
        .tuple(fc.constantFrom(...packed), fc.array(varintish, { maxLength: 4 }))
        .chain(([tag, vs]) => lengthDelimited(tag, vs.flat(2))),
    );
  }
  const wrap = tags.wrap;
  if (wrap) {
    parts.push(fc.array(str(wrap.inner), { maxLength: 4 }).chain((fields) => lengthDelimited(wrap.tag, fields.flat())));
  }
  return fc.array(fc.oneof(...parts), { maxLength: 5 }).map((p) => new Uint8Array(p.flat()));
}

/** `bytes` with one edit: a byte changed, removed or inserted, or the tail cut off. */
export function mutated(bytes: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(bytes, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom(0, 1, 2, 3))
    .map(([b, at, x, op]) => {
      const a = [...b];
      const i = a.length === 0 ? 0 : at % a.length;
      if (op === 0 && a.length > 0) a[i] = x;
      else if (op === 1) a.splice(i, 1);
      else if (op === 2) a.splice(i, 0, x);
      else a.length = i;
      return new Uint8Array(a);
    });
}

/** Asserts that `frame` is one whole frame of `type` on `streamId`/`sequence` whose payload is exactly `payload`. */
export function expectFrame(
  frame: Uint8Array | undefined,
  payload: Uint8Array,
  type: FrameType,
  streamId: number,
  sequence: number,
): void {
  expect(frame).toBeDefined();
  expect(sameBytes(frame!.subarray(HEADER_SIZE), payload)).toBe(true);
  const d = createFrameDecoder();
  d.push(frame!);
  expect(d.next()).toMatchObject({ type, streamId, sequence });
  expect(d.next()).toBeUndefined();
}
