/** Decoding a byte string in fixed-size pieces, for the codec's vector and property tests. */
import { expect } from "vitest";
import { createFrameDecoder } from "../decoder.js";
import type { Frame } from "../frame.js";

/**
 * Every frame of `bytes`, pushed `chunk` bytes at a time into one decoder (compact DATA on when `compactData`);
 * asserts that nothing is left over.
 */
export function decodeAll(bytes: Uint8Array, chunk: number, maxFrameSize = 1 << 20, compactData = false): Frame[] {
  const d = createFrameDecoder({ maxFrameSize });
  if (compactData) d.enableCompactData();
  const out: Frame[] = [];
  for (let i = 0; i < bytes.length; i += chunk) {
    d.push(bytes.subarray(i, i + chunk));
    for (const f of d) out.push(f);
  }
  expect(d.buffered).toBe(0);
  return out;
}
