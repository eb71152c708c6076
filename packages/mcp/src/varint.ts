/**
 * Protobuf base-128 varint writers shared by the hand-written codecs (OPEN body, GenerateResponse chunks), for
 * non-negative integers up to 2^53 − 1 (arithmetic on numbers, so values above 2^32 are written exactly).
 */

/** The number of bytes the varint of `n` takes. */
export function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** Writes the varint of `n` into `b` at `o`; returns the offset after it. */
export function putVarint(b: Uint8Array, o: number, n: number): number {
  while (n >= 0x80) {
    b[o++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  b[o++] = n;
  return o;
}
