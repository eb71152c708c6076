import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Spread } from "./result.js";
import { median, NOISE_FLOOR, relativeSpread, spreadOf, withinNoise } from "./stats-math.js";

/** Figures as rounds produce them: finite, positive, with a NaN now and then (a window with no requests). */
const figure = fc.double({ min: 1e-3, max: 1e6, noNaN: true });
const rounds = fc.array(fc.oneof({ weight: 9, arbitrary: figure }, { weight: 1, arbitrary: fc.constant(Number.NaN) }), {
  minLength: 1,
  maxLength: 9,
});
const spread = fc.array(figure, { minLength: 1, maxLength: 7 }).map(spreadOf);

describe("median and spread (property)", () => {
  it("the median lies between min and max, ignores order, and is a middle value", () => {
    fc.assert(
      fc.property(fc.array(figure, { minLength: 1, maxLength: 15 }), (xs) => {
        const m = median(xs);
        const s = [...xs].sort((a, b) => a - b);
        expect(m).toBeGreaterThanOrEqual(s[0]);
        expect(m).toBeLessThanOrEqual(s[s.length - 1]);
        expect(median([...xs].reverse())).toBe(m);
        if (xs.length % 2 === 1) expect(m).toBe(s[(xs.length - 1) / 2]);
        // As many values at or below the median as at or above it.
        expect(xs.filter((x) => x <= m).length).toBeGreaterThanOrEqual(Math.ceil(xs.length / 2));
        expect(xs.filter((x) => x >= m).length).toBeGreaterThanOrEqual(Math.ceil(xs.length / 2));
      }),
    );
  });

  it("a spread is computed over the finite rounds only, keeps every value, and orders min ≤ median ≤ max", () => {
    fc.assert(
      fc.property(rounds, (xs) => {
        const s = spreadOf(xs);
        expect(s.values).toEqual(xs);
        const finite = xs.filter(Number.isFinite);
        if (finite.length === 0) {
          expect(s.median).toBeNaN();
          return;
        }
        expect(s).toMatchObject({ min: Math.min(...finite), max: Math.max(...finite), median: median(finite) });
        expect(s.min).toBeLessThanOrEqual(s.median);
        expect(s.median).toBeLessThanOrEqual(s.max);
        expect(relativeSpread(s)).toBeGreaterThanOrEqual(0);
        if (finite.length === 1) expect(relativeSpread(s)).toBe(0);
      }),
    );
  });
});

describe("the noise rule (property)", () => {
  it("is symmetric and reflexive", () => {
    fc.assert(
      fc.property(spread, spread, (a, b) => {
        expect(withinNoise(a, b)).toBe(withinNoise(b, a));
        expect(withinNoise(a, a)).toBe(true);
      }),
    );
  });

  it("does not depend on the unit: scaling both sides by a power of two (exact) keeps the verdict", () => {
    const scale = (s: Spread, k: number): Spread => ({
      median: s.median * k,
      min: s.min * k,
      max: s.max * k,
      values: s.values.map((v) => v * k),
    });
    fc.assert(
      fc.property(spread, spread, fc.integer({ min: -20, max: 20 }), (a, b, e) => {
        const k = 2 ** e;
        expect(withinNoise(scale(a, k), scale(b, k))).toBe(withinNoise(a, b));
      }),
    );
  });

  it("overlapping ranges are noise; disjoint ranges with medians 5% or more apart are a difference", () => {
    fc.assert(
      fc.property(spread, spread, (a, b) => {
        const overlap = a.min <= b.max && b.min <= a.max;
        const rel = Math.abs(a.median - b.median) / Math.max(a.median, b.median);
        if (overlap || rel < NOISE_FLOOR) expect(withinNoise(a, b)).toBe(true);
        else expect(withinNoise(a, b)).toBe(false);
      }),
    );
  });

  it("medians under 5% apart are noise however tight the ranges", () => {
    fc.assert(
      fc.property(figure, fc.double({ min: 0, max: 0.0499, noNaN: true }), (x, d) => {
        const a = spreadOf([x]);
        const b = spreadOf([x * (1 + d)]);
        expect(withinNoise(a, b)).toBe(true);
      }),
    );
  });

  it("a spread without any finite round is never called different", () => {
    fc.assert(
      fc.property(spread, (a) => {
        expect(withinNoise(a, spreadOf([Number.NaN]))).toBe(true);
      }),
    );
  });
});
