/**
 * Deterministic pseudo-randomness for the synthetic engine: FNV-1a to hash a request into a seed, and a
 * SplitMix32-style generator. Pure functions; the same inputs give the same outputs on every platform.
 */

/** 32-bit FNV-1a over the UTF-16 code units of each part, with a separator between parts. */
export function hash32(...parts: ReadonlyArray<string | number | bigint>): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    const s = String(part);
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    h ^= 0xff;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A seeded generator of uniform numbers in [0, 1). */
export interface Prng {
  /** The next uniform number in [0, 1). */
  next(): number;
  /** The next integer in [0, n). */
  int(n: number): number;
}

/** Creates a SplitMix32 generator from a 32-bit seed. */
export function createPrng(seed: number): Prng {
  let state = seed >>> 0;
  const nextU32 = () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  return {
    next: () => nextU32() / 4294967296,
    int: (n: number) => Math.floor((nextU32() / 4294967296) * n),
  };
}
