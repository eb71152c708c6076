/**
 * Native helpers of the runtime, where it has them: Node's `Buffer` (found on `globalThis`, so this package needs
 * no `node:` import) measures a long string's UTF-8 length without encoding it and allocates a buffer without
 * zero-filling it. Elsewhere both are `undefined` and the codecs take their portable paths (a JS loop over the
 * string, `new Uint8Array`): the same bytes, more slowly for long strings and large frames.
 */

interface NodeBufferStatics {
  byteLength(s: string, encoding: "utf8"): number;
  allocUnsafeSlow(size: number): Uint8Array;
}

const NodeBuffer = (globalThis as { Buffer?: NodeBufferStatics }).Buffer;

/** UTF-8 length of `s` by native code (a lone surrogate counts 3 bytes, as TextEncoder writes U+FFFD). */
export const nativeUtf8Length: ((s: string) => number) | undefined =
  NodeBuffer === undefined ? undefined : (s) => NodeBuffer.byteLength(s, "utf8");

/** A buffer of `size` bytes that is not zero-filled: the caller writes every byte. */
export const allocUninitialized: (size: number) => Uint8Array =
  NodeBuffer === undefined ? (size) => new Uint8Array(size) : (size) => NodeBuffer.allocUnsafeSlow(size);
