/**
 * Reading a Protobuf string field's UTF-8 bytes as the reply chunk decoder (reply-chunk.ts) needs it: the result
 * of a fatal `TextDecoder` (what protobuf-es's strict string decoding gives), or `undefined` where that throws.
 * Short values (the usual token, up to {@link SHORT_UTF8}) are decoded by a JS loop: a `TextDecoder.decode` call
 * and the `subarray` it needs were measured at ~0.3 µs per non-ASCII token in the MCP client's profile (the
 * synthetic engine's vocabulary has one such word in seven), the loop at a fraction of it. Anything the loop is
 * not sure of (malformed bytes, a leading byte order mark, which TextDecoder strips) goes to the TextDecoder.
 */

/** Longest value, in bytes, decoded by the JS loop; longer ones go to the TextDecoder. */
export const SHORT_UTF8 = 32;

const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

/** `b[start, end)` through the fatal TextDecoder: the string, or `undefined` when it is not valid UTF-8. */
export function decodeUtf8Fatal(b: Uint8Array, start: number, end: number): string | undefined {
  try {
    return utf8Decoder.decode(b.subarray(start, end));
  } catch {
    return undefined;
  }
}

/**
 * `b[start, end)` as a string, equal to {@link decodeUtf8Fatal}'s result for every input: well-formed UTF-8 of
 * up to {@link SHORT_UTF8} bytes is decoded here (shortest forms only, no surrogates, nothing above U+10FFFF);
 * everything else is handed to the TextDecoder.
 */
export function readUtf8(b: Uint8Array, start: number, end: number): string | undefined {
  if (end - start > SHORT_UTF8) return decodeUtf8Fatal(b, start, end);
  let s = "";
  let i = start;
  while (i < end) {
    const c = b[i];
    if (c < 0x80) {
      s += String.fromCharCode(c);
      i++;
    } else if (c >= 0xc2 && c < 0xe0 && i + 1 < end && (b[i + 1] & 0xc0) === 0x80) {
      s += String.fromCharCode(((c & 0x1f) << 6) | (b[i + 1] & 0x3f));
      i += 2;
    } else if (c >= 0xe0 && c < 0xf0 && i + 2 < end && (b[i + 1] & 0xc0) === 0x80 && (b[i + 2] & 0xc0) === 0x80) {
      const cp = ((c & 0x0f) << 12) | ((b[i + 1] & 0x3f) << 6) | (b[i + 2] & 0x3f);
      // Overlong, a surrogate, or a byte order mark at the start: the TextDecoder decides.
      if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff) || (cp === 0xfeff && i === start)) {
        return decodeUtf8Fatal(b, start, end);
      }
      s += String.fromCharCode(cp);
      i += 3;
    } else if (
      c >= 0xf0 &&
      c < 0xf5 &&
      i + 3 < end &&
      (b[i + 1] & 0xc0) === 0x80 &&
      (b[i + 2] & 0xc0) === 0x80 &&
      (b[i + 3] & 0xc0) === 0x80
    ) {
      const cp = ((c & 0x07) << 18) | ((b[i + 1] & 0x3f) << 12) | ((b[i + 2] & 0x3f) << 6) | (b[i + 3] & 0x3f);
      if (cp < 0x10000 || cp > 0x10ffff) return decodeUtf8Fatal(b, start, end);
      const u = cp - 0x10000;
      s += String.fromCharCode(0xd800 | (u >> 10), 0xdc00 | (u & 0x3ff));
      i += 4;
    } else return decodeUtf8Fatal(b, start, end);
  }
  return s;
}
