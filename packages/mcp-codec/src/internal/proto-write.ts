/**
 * Low-level Protobuf writers shared by the hand-written encoders (the OPEN frame, GenerateRequest, the reply
 * chunks): base-128 varints of non-negative numbers up to 2^53 − 1 (arithmetic on numbers, so values above 2^32 are
 * written exactly), 64-bit varints from 32-bit halves (negative numbers: two's complement, always 10 bytes), and
 * UTF-8 strings measured and written as protobuf-es writes them (TextEncoder: a lone surrogate becomes U+FFFD).
 */
import { nativeUtf8Length } from "./native.js";

const utf8 = new TextEncoder();

/**
 * Strings longer than this are measured and written by native code (`Buffer.byteLength` where the runtime has it,
 * `encodeInto`): a JS loop wins for the short strings of the hot path and loses badly for long prompts (64 KiB:
 * ~1.5x slower than toBinary).
 */
const NATIVE_FROM = 64;

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

/** UTF-8 length of a string as TextEncoder writes it (a lone surrogate becomes U+FFFD, 3 bytes). */
export function utf8Length(s: string): number {
  if (s.length > NATIVE_FROM && nativeUtf8Length !== undefined) return nativeUtf8Length(s);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

/** Writes the body of a string of UTF-8 length `len` (from {@link utf8Length}) at `o`; returns the offset after it. */
export function putUtf8(b: Uint8Array, o: number, s: string, len: number): number {
  if (len === s.length && len <= NATIVE_FROM) {
    for (let i = 0; i < len; i++) b[o + i] = s.charCodeAt(i);
  } else utf8.encodeInto(s, b.subarray(o, o + len));
  return o + len;
}

/** The number of bytes of the 64-bit varint with 32-bit halves `lo`, `hi` (both unsigned). */
export function varint64Size(lo: number, hi: number): number {
  let size = 1;
  while (hi !== 0 || lo > 0x7f) {
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi = hi >>> 7;
    size++;
  }
  return size;
}

/** Writes the 64-bit varint with 32-bit halves `lo`, `hi` (both unsigned) at `o`; returns the offset after it. */
export function putVarint64(b: Uint8Array, o: number, lo: number, hi: number): number {
  while (hi !== 0 || lo > 0x7f) {
    b[o++] = (lo & 0x7f) | 0x80;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi = hi >>> 7;
  }
  b[o++] = lo;
  return o;
}
