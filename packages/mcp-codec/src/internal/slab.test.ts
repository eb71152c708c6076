import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { allocFrame, SLAB_MAX_ALLOC } from "./slab.js";

describe("allocFrame", () => {
  it("hands out zero-filled regions that never overlap, across slab boundaries", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: SLAB_MAX_ALLOC + 100 }), { maxLength: 80 }), (sizes) => {
        const bufs = sizes.map((n) => allocFrame(n));
        bufs.forEach((b, i) => {
          expect(b.length).toBe(sizes[i]);
          expect(b.every((x) => x === 0)).toBe(true);
        });
        // Fill each with its index: a region shared by two frames would show the later index in the earlier one.
        for (const [i, b] of bufs.entries()) b.fill(i % 251);
        for (const [i, b] of bufs.entries()) expect(b.every((x) => x === i % 251)).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  it("serves large requests from their own buffer", () => {
    const b = allocFrame(SLAB_MAX_ALLOC + 1);
    expect(b.byteOffset).toBe(0);
    expect(b.buffer.byteLength).toBe(SLAB_MAX_ALLOC + 1);
  });
});
