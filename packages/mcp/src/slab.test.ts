import type { Socket } from "node:net";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createFrameWriter } from "./frame-writer.js";
import { allocFrame, SLAB_MAX_ALLOC } from "./slab.js";

/** A socket stand-in that records what is written. */
function fakeSocket() {
  const writes: Uint8Array[] = [];
  const socket = {
    destroyed: false,
    writable: true,
    writableLength: 0,
    on: () => socket,
    cork: () => {},
    uncork: () => {},
    write: (b: Uint8Array) => {
      writes.push(b);
      return true;
    },
  };
  return { socket: socket as unknown as Socket, writes };
}

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

describe("frame writer batches", () => {
  it("writes frames cut in a row from a slab as one view, with the same bytes as a copy", async () => {
    const { socket, writes } = fakeSocket();
    const w = createFrameWriter(socket, 1 << 20, 100);
    const frames = [30, 58, 80, 7].map((n, i) => allocFrame(n).fill(i + 1));
    for (const f of frames) w.write(f);
    await new Promise((r) => process.nextTick(r));
    expect(writes).toHaveLength(1);
    expect([...writes[0]]).toEqual(frames.flatMap((f) => [...f]));
    // No copy: the written view shares the frames' memory.
    expect(writes[0].buffer).toBe(frames[0].buffer);
    expect(w.bytesOut).toBe(175);
  });

  it("gives a backed-up socket a compact copy, so a stalled peer cannot pin a slab", async () => {
    const { socket, writes } = fakeSocket();
    (socket as unknown as { writableLength: number }).writableLength = 1000;
    const w = createFrameWriter(socket, 1 << 20, 100);
    const frames = [58, 80].map((n, i) => allocFrame(n).fill(i + 1));
    for (const f of frames) w.write(f);
    await new Promise((r) => process.nextTick(r));
    expect(writes).toHaveLength(1);
    expect([...writes[0]]).toEqual(frames.flatMap((f) => [...f]));
    expect(writes[0].buffer).not.toBe(frames[0].buffer);
    expect(writes[0].buffer.byteLength).toBeLessThan(64 * 1024);
  });

  it("copies frames that are not adjacent, keeping their order", async () => {
    const { socket, writes } = fakeSocket();
    const w = createFrameWriter(socket, 1 << 20, 100);
    const a = allocFrame(10).fill(1);
    allocFrame(5); // a gap
    const b = allocFrame(10).fill(2);
    const c = new Uint8Array(3).fill(3);
    w.write(b);
    w.write(a);
    w.write(c);
    await new Promise((r) => process.nextTick(r));
    expect(writes).toHaveLength(1);
    expect([...writes[0]]).toEqual([...b, ...a, ...c]);
    expect(writes[0].buffer).not.toBe(a.buffer);
  });
});
