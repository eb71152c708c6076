import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { roundOrder } from "./rounds.js";

describe("interleaved rounds", () => {
  it("each round runs every target once, and over n rounds each target holds each position once", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 20 }), (n, first) => {
        const targets = Array.from({ length: n }, (_, i) => i);
        const seen = targets.map(() => new Set<number>());
        for (let round = first; round < first + n; round++) {
          const order = roundOrder(targets, round);
          expect([...order].sort((a, b) => a - b)).toEqual(targets);
          order.forEach((t, pos) => {
            seen[t].add(pos);
          });
        }
        for (const s of seen) expect(s.size).toBe(n);
      }),
    );
  });
});
