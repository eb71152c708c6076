/**
 * A bump allocator for small frames. `new Uint8Array(n)` above 64 bytes gets its own off-heap backing store, which
 * V8 pays for at allocation and again in GC: measured in the package benchmark, that was 11% of the MCP server's
 * CPU (every DATA and END frame of a one-token generate is 58–80 bytes). Frames are instead cut from 64 KiB slabs,
 * zero-filled like `new Uint8Array`, each region handed out once and never reused; a slab is freed by GC when the
 * last frame cut from it is gone. Frames cut one after another are adjacent, which lets the frame writer send a
 * batch as one view without copying (see the frame writer of @modelwire/mcp, frame-writer.ts).
 */

/** Slab size; requests larger than {@link SLAB_MAX_ALLOC} get their own buffer. */
const SLAB_SIZE = 64 * 1024;
/** Largest request served from a slab. */
export const SLAB_MAX_ALLOC = 4096;

let slab = new Uint8Array(SLAB_SIZE);
let used = 0;

/** A zero-filled buffer of `n` bytes: a fresh region of the current slab when `n` ≤ {@link SLAB_MAX_ALLOC}. */
export function allocFrame(n: number): Uint8Array {
  if (n > SLAB_MAX_ALLOC) return new Uint8Array(n);
  if (used + n > SLAB_SIZE) {
    slab = new Uint8Array(SLAB_SIZE);
    used = 0;
  }
  const out = slab.subarray(used, used + n);
  used += n;
  return out;
}
