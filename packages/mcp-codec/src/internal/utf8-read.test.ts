import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readUtf8, SHORT_UTF8 } from "./utf8-read.js";

/** The reference: a fatal TextDecoder of its own (what protobuf-es's strict string decoding uses). */
const reference = new TextDecoder("utf-8", { fatal: true });
function theirs(b: Uint8Array): string | undefined {
  try {
    return reference.decode(b);
  } catch {
    return undefined;
  }
}

/** Bytes near UTF-8's edges: lead bytes of every length, continuation bytes, overlong and surrogate forms, BOMs. */
const edgy = fc.array(
  fc.oneof(
    fc.integer({ min: 0, max: 0x7f }),
    fc.integer({ min: 0x80, max: 0xbf }),
    fc.constantFrom(0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0xbb, 0xbf, 0xa0, 0x9f, 0x8f),
    fc.integer({ min: 0, max: 0xff }),
  ),
  { maxLength: SHORT_UTF8 + 4 },
);

/** Valid UTF-8 of any code points (lone surrogates become U+FFFD in the encoder), BOM in front now and then. */
const valid = fc
  .tuple(fc.boolean(), fc.string({ unit: "binary", maxLength: 20 }))
  .map(([bom, s]) => new TextEncoder().encode(bom ? `\ufeff${s}` : s));

describe("readUtf8", () => {
  it("returns what a fatal TextDecoder returns (undefined where it throws), on random and edge bytes", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          edgy.map((a) => new Uint8Array(a)),
          valid,
          fc.uint8Array({ maxLength: 48 }),
        ),
        (b) => {
          expect(readUtf8(b, 0, b.length)).toBe(theirs(b));
        },
      ),
      { numRuns: 5000 },
    );
  });

  it("reads the range it is given inside a larger buffer", () => {
    fc.assert(
      fc.property(valid, fc.uint8Array({ maxLength: 5 }), fc.uint8Array({ maxLength: 5 }), (b, pre, post) => {
        const all = new Uint8Array([...pre, ...b, ...post]);
        expect(readUtf8(all, pre.length, pre.length + b.length)).toBe(theirs(b));
      }),
      { numRuns: 1000 },
    );
  });

  it("the cases the loop must hand over or refuse", () => {
    const cases: number[][] = [
      [0xef, 0xbb, 0xbf, 0x61], // leading BOM: TextDecoder strips it
      [0x61, 0xef, 0xbb, 0xbf], // BOM later: kept
      [0xc0, 0x80], // overlong NUL
      [0xe0, 0x80, 0x80], // overlong
      [0xed, 0xa0, 0x80], // surrogate D800
      [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
      [0xf0, 0x9f, 0x99, 0x82], // 🙂
      [0xe6, 0x97, 0xa5], // 日
      [0xc3], // truncated
      [0x80], // lone continuation
    ];
    for (const c of cases) {
      const b = new Uint8Array(c);
      expect(readUtf8(b, 0, b.length)).toBe(theirs(b));
    }
    expect(readUtf8(new Uint8Array([0xef, 0xbb, 0xbf, 0x61]), 0, 4)).toBe("a");
    expect(readUtf8(new Uint8Array([0xed, 0xa0, 0x80]), 0, 3)).toBeUndefined();
  });
});
