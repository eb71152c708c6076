import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { DurationSchema } from "@bufbuild/protobuf/wkt";
import { type GenerateRequest, GenerateRequestSchema, OptionsSchema } from "@modelwire/core";
import { text as baseText, generateRequests, longText } from "@modelwire/test-kit/arbitraries";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sameBytes } from "../test-support/bytes.js";
import { encodeGenerateRequest } from "./generate-request.js";
import { decodeGenerateRequest, tryDecodeGenerateRequest } from "./generate-request-decode.js";

// ---- Requests ----

const text = fc.oneof(baseText, longText);
const request = generateRequests(text);

// ---- Raw wire pieces: known fields with valid or odd payloads, repeats, unknown fields, garbage ----

/** The varint of the unsigned 64-bit `v`, padded with redundant continuation bytes to `pad` extra bytes. */
function varint(v: bigint, pad = 0): number[] {
  const out: number[] = [];
  let x = BigInt.asUintN(64, v);
  while (x >= 0x80n) {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  out.push(Number(x));
  for (let i = 0; i < pad && out.length < 10; i++) {
    out[out.length - 1] |= 0x80;
    out.push(0);
  }
  return out;
}
const tagBytes = (field: number, wire: number) => varint(BigInt((field << 3) | wire));
const lenDelim = (field: number, body: number[]) => [...tagBytes(field, 2), ...varint(BigInt(body.length)), ...body];

const anyVarint = fc
  .tuple(
    fc.oneof(
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      fc.bigInt({ min: 0n, max: 300n }),
      fc.constantFrom(0n, 1n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 63n, 2n ** 64n - 1n),
    ),
    fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 9 })),
  )
  .map(([v, pad]) => varint(v, pad));
/** UTF-8 text, with invalid sequences, BOMs and non-minimal encodings now and then. */
const utf8Bytes = fc.oneof(
  text.map((s) => [...new TextEncoder().encode(s)]),
  fc.constant<number[]>([0xef, 0xbb, 0xbf, 0x41]),
  fc.array(fc.constantFrom<number>(0x41, 0x80, 0xc0, 0xc3, 0xa9, 0xed, 0xa0, 0xef, 0xbb, 0xbf, 0xf0, 0x9f, 0xff), {
    maxLength: 20,
  }),
);
const fixed32 = fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => [...b]);

/** Fields of Options (and a few unknown ones). */
const optionsField = fc.oneof(
  fc
    .tuple(fc.constantFrom(1, 2, 3, 4, 8, 20, 21, 22, 23, 24, 25), anyVarint)
    .map(([f, v]) => [...tagBytes(f, 0), ...v]),
  fc.tuple(fc.constantFrom(5, 6, 7, 9, 10, 11, 12), fixed32).map(([f, v]) => [...tagBytes(f, 5), ...v]),
  utf8Bytes.map((s) => lenDelim(13, s)),
  fc.tuple(fc.integer({ min: 14, max: 40 }), anyVarint).map(([f, v]) => [...tagBytes(f, 0), ...v]),
);
const optionsBody = fc.array(optionsField, { maxLength: 6 }).map((fs) => fs.flat());
const durationBody = fc
  .array(
    fc.tuple(fc.constantFrom(1, 2), anyVarint).map(([f, v]) => [...tagBytes(f, 0), ...v]),
    { maxLength: 3 },
  )
  .map((fs) => fs.flat());
const thinkBody = fc
  .array(
    fc.oneof(
      anyVarint.map((v) => [...tagBytes(1, 0), ...v]),
      utf8Bytes.map((s) => lenDelim(2, s)),
    ),
    { maxLength: 3 },
  )
  .map((fs) => fs.flat());

/** One field of a GenerateRequest on the wire. */
const requestField: fc.Arbitrary<number[]> = fc.oneof(
  fc.tuple(fc.constantFrom(1, 2, 3, 4, 5, 9), utf8Bytes).map(([f, s]) => lenDelim(f, s)),
  anyVarint.map((v) => [...tagBytes(6, 0), ...v]), // unpacked context
  fc.array(anyVarint, { maxLength: 5 }).map((vs) => lenDelim(6, vs.flat())), // packed context
  fc.tuple(fc.constantFrom(7, 8), anyVarint).map(([f, v]) => [...tagBytes(f, 0), ...v]),
  durationBody.map((b) => lenDelim(10, b)),
  fc.uint8Array({ maxLength: 16 }).map((b) => lenDelim(11, [...b])),
  optionsBody.map((b) => lenDelim(12, b)),
  thinkBody.map((b) => lenDelim(13, b)),
  // unknown fields of every wire type, and known fields with a wrong wire type
  fc.tuple(fc.integer({ min: 1, max: 40 }), anyVarint).map(([f, v]) => [...tagBytes(f, 0), ...v]),
  fc.tuple(fc.integer({ min: 1, max: 40 }), fixed32).map(([f, v]) => [...tagBytes(f, 5), ...v]),
  fc.tuple(fc.integer({ min: 1, max: 40 }), fixed32, fixed32).map(([f, a, b]) => [...tagBytes(f, 1), ...a, ...b]),
  fc.tuple(fc.integer({ min: 14, max: 40 }), fc.uint8Array({ maxLength: 8 })).map(([f, b]) => lenDelim(f, [...b])),
  fc.integer({ min: 1, max: 40 }).map((f) => [...tagBytes(f, 3), ...tagBytes(f, 4)]), // an empty group
);
const wireRequest = fc.array(requestField, { maxLength: 10 }).map((fs) => new Uint8Array(fs.flat()));

/** A valid encoding with one random edit: truncation, byte flip, insertion or deletion. */
const mutated = fc
  .tuple(
    fc.oneof(
      request.map((r) => toBinary(GenerateRequestSchema, r)),
      wireRequest,
    ),
    fc.constantFrom("truncate", "flip", "insert", "delete"),
    fc.nat(),
    fc.integer({ min: 0, max: 255 }),
  )
  .map(([b, op, at, v]) => {
    const i = b.length === 0 ? 0 : at % b.length;
    const a = [...b];
    if (op === "truncate") return new Uint8Array(a.slice(0, i));
    if (op === "flip" && a.length > 0) a[i] = v;
    else if (op === "insert") a.splice(i, 0, v);
    else a.splice(i, 1);
    return new Uint8Array(a);
  });

// ---- Comparison ----

type Outcome = { ok: true; value: GenerateRequest } | { ok: false; error: unknown };
function run(f: () => GenerateRequest): Outcome {
  try {
    return { ok: true, value: f() };
  } catch (error) {
    return { ok: false, error };
  }
}

/** Both decoders throw, or both return strictly equal requests whose images view `b` at the same offsets. */
function sameAsFromBinary(b: Uint8Array): Outcome {
  const want = run(() => fromBinary(GenerateRequestSchema, b));
  const got = run(() => decodeGenerateRequest(b));
  expect(got.ok).toBe(want.ok);
  if (got.ok && want.ok) {
    expect(got.value).toStrictEqual(want.value);
    expect(got.value.images.map((i) => [i.buffer === b.buffer, i.byteOffset])).toEqual(
      want.value.images.map((i) => [i.buffer === b.buffer, i.byteOffset]),
    );
  }
  // The fast path alone never returns something fromBinary would not.
  const fast = tryDecodeGenerateRequest(b);
  if (fast !== undefined) {
    expect(want.ok).toBe(true);
    if (want.ok) expect(fast).toStrictEqual(want.value);
  }
  return want;
}

const enc = (init: Parameters<typeof create<typeof GenerateRequestSchema>>[1]) =>
  toBinary(GenerateRequestSchema, create(GenerateRequestSchema, init));
const cat = (...parts: (number[] | Uint8Array)[]) => new Uint8Array(parts.flatMap((p) => [...p]));

describe("decodeGenerateRequest", () => {
  it("equals fromBinary on encodings of arbitrary requests, decoded by the fast path", () => {
    fc.assert(
      fc.property(request, fc.boolean(), (req, omitModel) => {
        const b = toBinary(
          GenerateRequestSchema,
          omitModel ? create(GenerateRequestSchema, { ...req, model: "" }) : req,
        );
        sameAsFromBinary(b);
        // Everything protobuf-es writes is handled without falling back.
        expect(tryDecodeGenerateRequest(b)).toStrictEqual(fromBinary(GenerateRequestSchema, b));
        // ... and so is what the client's hand-written encoder writes (the same bytes).
        const mine = encodeGenerateRequest(req, omitModel) as Uint8Array;
        expect(tryDecodeGenerateRequest(mine)).toStrictEqual(fromBinary(GenerateRequestSchema, mine));
      }),
      { numRuns: 500 },
    );
  });

  it("equals fromBinary (or throws with it) on raw field sequences: repeats, merges, odd varints, unknown fields", () => {
    let decoded = 0;
    let fast = 0;
    fc.assert(
      fc.property(wireRequest, (b) => {
        if (sameAsFromBinary(b).ok) decoded++;
        if (tryDecodeGenerateRequest(b) !== undefined) fast++;
      }),
      { numRuns: 1500 },
    );
    // The generator reaches both the fast path and the fallbacks (generous bounds: the mix is random).
    expect(fast).toBeGreaterThan(100);
    expect(decoded).toBeGreaterThan(fast);
  });

  it("equals fromBinary (or throws with it) on random bytes and mutated encodings", () => {
    let threw = 0;
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 40 }), mutated), (b) => {
        if (!sameAsFromBinary(b).ok) threw++;
      }),
      { numRuns: 2000 },
    );
    expect(threw).toBeGreaterThan(50); // the malformed inputs were really exercised
  });

  it("decodes the MCP client's one-token request on the fast path", () => {
    const b = enc({ prompt: "hi", options: { numPredict: 1 } });
    const got = tryDecodeGenerateRequest(b);
    expect(got).toStrictEqual(fromBinary(GenerateRequestSchema, b));
    expect(got?.options?.numPredict).toBe(1);
    expect(Object.keys(got?.options ?? {}).sort()).toEqual(["$typeName", "numPredict", "stop"]);
    expect("stream" in (got ?? {})).toBe(false);
  });

  it("keeps unknown fields in $unknown as fromBinary does (by falling back to it)", () => {
    const b = cat(enc({ prompt: "p" }), [0x78, 0x05], lenDelim(99, [1, 2, 3]));
    expect(tryDecodeGenerateRequest(b)).toBeUndefined();
    const got = sameAsFromBinary(b);
    expect(got.ok && got.value.$unknown?.map((u) => u.no)).toEqual([15, 99]);
    expect(decodeGenerateRequest(b).$unknown).toStrictEqual(fromBinary(GenerateRequestSchema, b).$unknown);
    // ... in nested messages too.
    const nested = lenDelim(12, [...tagBytes(30, 0), 7]);
    expect(decodeGenerateRequest(new Uint8Array(nested)).options?.$unknown).toHaveLength(1);
    sameAsFromBinary(new Uint8Array(nested));
  });

  it("reads unpacked and packed context, in any mix", () => {
    const b = cat([0x30, 0x01], lenDelim(6, [0x02, ...varint(-1n)]), [0x30, ...varint(-(2n ** 31n))], lenDelim(6, []));
    expect(tryDecodeGenerateRequest(b)?.context).toEqual([1, 2, -1, -(2 ** 31)]);
    sameAsFromBinary(b);
  });

  it("merges a message field that occurs twice and lets the last scalar win", () => {
    const b = cat(
      enc({
        prompt: "first",
        options: { numPredict: 1, seed: 5n, stop: ["a"] },
        think: { value: { case: "enabled", value: true } },
      }),
      enc({
        prompt: "second",
        options: { topK: 3, seed: -7n, stop: ["b"] },
        keepAlive: { seconds: 9n },
        think: { value: { case: "level", value: "high" } },
      }),
      lenDelim(10, [0x10, 0x05]), // keep_alive again: nanos only
      lenDelim(13, []), // an empty think keeps the oneof
    );
    const got = tryDecodeGenerateRequest(b);
    expect(got).toBeDefined();
    expect(got?.prompt).toBe("second");
    expect(got?.options).toStrictEqual(create(OptionsSchema, { numPredict: 1, topK: 3, seed: -7n, stop: ["a", "b"] }));
    expect(got?.keepAlive).toStrictEqual(create(DurationSchema, { seconds: 9n, nanos: 5 }));
    expect(got?.think?.value).toEqual({ case: "level", value: "high" });
    sameAsFromBinary(b);
  });

  it("rejects invalid UTF-8 as fromBinary does and drops a leading BOM as it does", () => {
    for (const s of [[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xc0, 0x80], [0x41, 0x80]]) {
      for (const field of [2, 9]) {
        const b = new Uint8Array(lenDelim(field, s));
        expect(() => fromBinary(GenerateRequestSchema, b)).toThrow();
        expect(() => decodeGenerateRequest(b)).toThrow();
      }
      expect(() => decodeGenerateRequest(new Uint8Array(lenDelim(12, lenDelim(13, s))))).toThrow();
      expect(() => decodeGenerateRequest(new Uint8Array(lenDelim(13, lenDelim(2, s))))).toThrow();
    }
    const bom = new Uint8Array(lenDelim(2, [0xef, 0xbb, 0xbf, 0x68, 0x69]));
    expect(decodeGenerateRequest(bom).prompt).toBe("hi");
    sameAsFromBinary(bom);
    const long = new Uint8Array(lenDelim(2, [0xef, 0xbb, 0xbf, ...new TextEncoder().encode("é".repeat(40))]));
    expect(decodeGenerateRequest(long).prompt).toBe("é".repeat(40));
    sameAsFromBinary(long);
  });

  it("throws on a truncated varint, a length overrun and a bad tag, as fromBinary does", () => {
    const bad = [
      [0x38, 0x80], // stream: varint cut short
      [0x30, 0xff, 0xff], // context: varint cut short
      [0x30, ...Array(10).fill(0x80), 0x01], // an 11-byte varint
      [0x12, 0x05, 0x61], // prompt: length past the end
      [0x5a, 0x80], // images: length varint cut short
      [0x62, 0x03, 0x18], // options: past the end
      [0x62, 0x02, 0x2d, 0x00], // options: float cut short
      [0x32, 0x02, 0x01], // packed context past the end
      [0x00], // field number 0
      [0x0f], // wire type 7
      [0x80, 0x80, 0x80, 0x80, 0x80, 0x01], // tag longer than 5 bytes
    ];
    for (const b of bad) {
      const u = new Uint8Array(b);
      expect(() => fromBinary(GenerateRequestSchema, u)).toThrow();
      expect(() => decodeGenerateRequest(u)).toThrow();
    }
  });

  it("reads varints with protobuf-es's rules: overlong encodings, 10-byte negatives, high bits of a bool", () => {
    const b = cat(
      [0x30, ...varint(5n, 4)], // overlong 5
      [0x30, ...varint(2n ** 32n + 7n)], // int32 keeps the low 32 bits
      [0x38, ...varint(2n ** 40n)], // bool: only high bits set → true
      [0x40, ...varint(0n, 9)], // bool: a 10-byte zero → false
      lenDelim(12, [0x10, ...varint(-(2n ** 63n))]),
      lenDelim(10, [0x08, ...varint(2n ** 63n - 1n), 0x10, ...varint(-1n)]),
    );
    const got = tryDecodeGenerateRequest(b);
    expect(got?.context).toEqual([5, 7]);
    expect(got?.stream).toBe(true);
    expect(got?.raw).toBe(false);
    expect(got?.options?.seed).toBe(-(2n ** 63n));
    expect(got?.keepAlive).toStrictEqual(create(DurationSchema, { seconds: 2n ** 63n - 1n, nanos: -1 }));
    sameAsFromBinary(b);
  });

  it("returns images as views of the input, as fromBinary does (a 256 KiB image is not copied)", () => {
    const image = new Uint8Array(256 * 1024);
    for (let i = 0; i < image.length; i++) image[i] = (i * 131 + 17) & 0xff;
    const b = enc({ prompt: "what?", images: [image, new Uint8Array(0)] });
    const got = decodeGenerateRequest(b);
    const want = fromBinary(GenerateRequestSchema, b);
    expect(got).toStrictEqual(want);
    expect(got.images[0].buffer).toBe(b.buffer);
    expect(got.images[0].byteOffset).toBe(want.images[0].byteOffset);
    expect(sameBytes(got.images[0], image)).toBe(true);
    expect(got.images[1].length).toBe(0);
  });

  it("decodes at an offset inside a larger buffer (a frame payload view)", () => {
    const inner = enc({ prompt: "in a frame", images: [new Uint8Array([1, 2, 3])], options: { temperature: 0.5 } });
    const outer = cat([9, 9, 9], inner, [7, 7]);
    const view = outer.subarray(3, 3 + inner.length);
    const got = tryDecodeGenerateRequest(view);
    expect(got).toStrictEqual(fromBinary(GenerateRequestSchema, inner));
    expect(got?.images[0].byteOffset).toBe(fromBinary(GenerateRequestSchema, view).images[0].byteOffset);
  });
});
