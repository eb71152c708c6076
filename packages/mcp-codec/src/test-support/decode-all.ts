/** Decoding a byte string in fixed-size pieces, for the codec's vector and property tests. */
import { type Code, ModelwireError } from "@modelwire/core";
import { expect } from "vitest";
import { createFrameDecoder } from "../decoder.js";
import type { Frame } from "../frame.js";

/**
 * Every frame of `bytes`, pushed `chunk` bytes at a time into one decoder (compact DATA on when `compactData`,
 * batched DATA when `batchData`); asserts that nothing is left over.
 */
export function decodeAll(
  bytes: Uint8Array,
  chunk: number,
  maxFrameSize = 1 << 20,
  compactData = false,
  batchData = false,
): Frame[] {
  const d = createFrameDecoder({ maxFrameSize });
  if (compactData) d.enableCompactData();
  if (batchData) d.enableBatchData();
  const out: Frame[] = [];
  for (let i = 0; i < bytes.length; i += chunk) {
    d.push(bytes.subarray(i, i + chunk));
    for (const f of d) out.push(f);
  }
  expect(d.buffered).toBe(0);
  return out;
}

/** What a vector of bytes a decoder must refuse states (vectors/compact.json, vectors/batch.json `errors`). */
export interface RefusedVector {
  hex: string;
  maxFrameSize: number;
  compactData?: boolean;
  batchData?: boolean;
  error: { reason: string; code: number };
}

/**
 * Asserts that `v`'s bytes, pushed whole and in pieces of each size in `chunks` into a decoder with the vector's
 * limit and features, fail with the stated reason and code, leaving nothing buffered. `pad` zero bytes are added
 * (a v1 reader judges a header only once it has 20 bytes of it).
 */
export function expectRefused(v: RefusedVector, chunks: readonly number[], pad = 0): void {
  const bytes = Uint8Array.from(Buffer.from(v.hex + "00".repeat(pad), "hex"));
  for (const chunk of [bytes.length, ...chunks]) {
    const d = createFrameDecoder({ maxFrameSize: v.maxFrameSize });
    if (v.compactData) d.enableCompactData();
    if (v.batchData) d.enableBatchData();
    let caught: unknown;
    try {
      for (let i = 0; i < bytes.length; i += chunk) {
        d.push(bytes.subarray(i, i + chunk));
        for (const _ of d);
      }
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ModelwireError);
    expect((caught as ModelwireError).metadata.reason).toBe(v.error.reason);
    expect((caught as ModelwireError).code).toBe(v.error.code as Code);
    expect(d.buffered).toBe(0);
  }
}
