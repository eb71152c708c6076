import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatGoDuration, parseGoDuration } from "./go-duration.js";

const ns = 1n;
const us = 1_000n * ns;
const ms = 1_000n * us;
const s = 1_000n * ms;
const m = 60n * s;
const h = 60n * m;
const MAX = (1n << 63n) - 1n;
const MIN = -(1n << 63n);

/**
 * Go's own cases: `parseDurationTests` and `parseDurationErrorTests` in golang/go src/time/time_test.go (Go 1.22+,
 * where -2^63 parses), transcribed as data. Go's invalid-UTF-8 byte strings appear as the code points a JS string
 * holds for them.
 */
const GO_VALID: Array<[string, bigint]> = [
  // simple
  ["0", 0n],
  ["5s", 5n * s],
  ["30s", 30n * s],
  ["1478s", 1478n * s],
  // sign
  ["-5s", -5n * s],
  ["+5s", 5n * s],
  ["-0", 0n],
  ["+0", 0n],
  // decimal
  ["5.0s", 5n * s],
  ["5.6s", 5n * s + 600n * ms],
  ["5.s", 5n * s],
  [".5s", 500n * ms],
  ["1.0s", 1n * s],
  ["1.00s", 1n * s],
  ["1.004s", 1n * s + 4n * ms],
  ["1.0040s", 1n * s + 4n * ms],
  ["100.00100s", 100n * s + 1n * ms],
  // different units
  ["10ns", 10n * ns],
  ["11us", 11n * us],
  ["12\u00b5s", 12n * us],
  ["12\u03bcs", 12n * us],
  ["13ms", 13n * ms],
  ["14s", 14n * s],
  ["15m", 15n * m],
  ["16h", 16n * h],
  // composite durations
  ["3h30m", 3n * h + 30n * m],
  ["10.5s4m", 4n * m + 10n * s + 500n * ms],
  ["-2m3.4s", -(2n * m + 3n * s + 400n * ms)],
  ["1h2m3s4ms5us6ns", 1n * h + 2n * m + 3n * s + 4n * ms + 5n * us + 6n * ns],
  ["39h9m14.425s", 39n * h + 9n * m + 14n * s + 425n * ms],
  // large value
  ["52763797000ns", 52763797000n * ns],
  // more than 9 digits after the point (golang.org/issue/6617)
  ["0.3333333333333333333h", 20n * m],
  // 2^53 + 1, not exact in a float64
  ["9007199254740993ns", (1n << 53n) + 1n],
  // the largest int64
  ["9223372036854775807ns", MAX],
  ["9223372036854775.807us", MAX],
  ["9223372036s854ms775us807ns", MAX],
  ["-9223372036854775808ns", MIN],
  ["-9223372036854775.808us", MIN],
  ["-9223372036s854ms775us808ns", MIN],
  // the smallest int64, as Duration.String prints it (golang.org/issue/48629)
  ["-2562047h47m16.854775808s", MIN],
  // a long fraction (issue 15011), and the first overflow check of Go's fraction reader
  ["0.100000000000000000000h", 6n * m],
  ["0.830103483285477580700h", 49n * m + 48n * s + 372539827n * ns],
];

const GO_INVALID = [
  "",
  "3",
  "-",
  "s",
  ".",
  "-.",
  ".s",
  "+.s",
  "1d",
  "\u0085\u0085",
  "\u00ffff",
  "hello \u00ffff world",
  "\ufffd",
  "\ufffd hello \ufffd world",
  // overflow
  "9223372036854775810ns",
  "9223372036854775808ns",
  "-9223372036854775809ns",
  "9223372036854776us",
  "3000000h",
  "9223372036854775.808us",
  "9223372036854ms775us808ns",
];

describe("parseGoDuration against Go's parseDurationTests", () => {
  it.each(GO_VALID)("%s", (text, want) => {
    expect(parseGoDuration(text)).toBe(want);
  });

  it.each(GO_INVALID.map((t) => [t]))("rejects %j", (text) => {
    expect(parseGoDuration(text)).toBeUndefined();
  });

  it("rejects what only looks like a unit, prototype keys included", () => {
    for (const t of ["1constructor", "1toString", "1__proto__", "1hm", "1mss", "1 s", "1s ", "--1s", "1e3s"])
      expect(parseGoDuration(t), t).toBeUndefined();
  });
});

const int64 = fc.bigInt({ min: MIN, max: MAX });
const unit = fc.constantFrom(["ns", ns], ["us", us], ["\u00b5s", us], ["ms", ms], ["s", s], ["m", m], ["h", h]);
/** One component with a whole number, e.g. "15m". */
const component = fc
  .tuple(fc.bigInt({ min: 0n, max: 10n ** 5n }), unit)
  .map(([n, [name, scale]]) => ({ text: `${n}${name}`, value: n * (scale as bigint) }));

describe("parseGoDuration (property)", () => {
  it("reads back what formatGoDuration writes, for every int64 (Go's round-trip test, min and max included)", () => {
    fc.assert(
      fc.property(fc.oneof(int64, fc.constantFrom(MIN, MAX, 0n, 1n, -1n)), (d) => {
        expect(parseGoDuration(formatGoDuration(d))).toBe(d);
      }),
    );
  });

  it("a sequence of components is their sum, and a leading minus negates it", () => {
    fc.assert(
      fc.property(fc.array(component, { minLength: 1, maxLength: 5 }), (parts) => {
        const text = parts.map((p) => p.text).join("");
        const sum = parts.reduce((a, p) => a + p.value, 0n);
        expect(parseGoDuration(text)).toBe(sum);
        expect(parseGoDuration(`+${text}`)).toBe(sum);
        expect(parseGoDuration(`-${text}`)).toBe(-sum);
      }),
    );
  });

  it("a fraction of a unit is the unit scaled, to the nanosecond for milliseconds and coarser units", () => {
    fc.assert(
      fc.property(fc.nat({ max: 10 ** 6 }), fc.integer({ min: 0, max: 999 }), (whole, thousandths) => {
        const t = `${whole}.${String(thousandths).padStart(3, "0")}s`;
        expect(parseGoDuration(t)).toBe(BigInt(whole) * s + BigInt(thousandths) * ms);
      }),
    );
  });

  it("never throws: any text is an int64 or undefined", () => {
    const alphabet = fc.constantFrom(..."0123456789.+-nsuµμmh d".split(""));
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: alphabet, maxLength: 40 })), (t) => {
        const d = parseGoDuration(t);
        if (d !== undefined) {
          expect(d).toBeGreaterThanOrEqual(MIN);
          expect(d).toBeLessThanOrEqual(MAX);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
