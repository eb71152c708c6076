/** The shapes every measured encoding implements. */

/** Encodes one value to bytes and decodes it back. */
export interface Codec<T> {
  /** Encodes a value to its wire bytes. */
  encode(value: T): Uint8Array;
  /** Decodes wire bytes to a value; throws a coded ModelwireError on bad input. */
  decode(bytes: Uint8Array): T;
}

/** Incrementally decodes a byte stream that carries framed values. */
export interface FrameReader<T> {
  /** Feeds bytes as they arrive; returns every value completed by them (possibly none). */
  push(chunk: Uint8Array): T[];
  /** Bytes held that do not yet form a whole frame. */
  readonly pending: number;
}

/** Frames a stream of values: each value becomes one self-delimiting frame. */
export interface StreamCodec<T> {
  /** Encodes one value as one frame (what a server writes per chunk); `index` is its position in the stream. */
  encodeFrame(value: T, index: number): Uint8Array;
  /** A fresh incremental decoder (what a client runs over the bytes it reads). */
  createReader(): FrameReader<T>;
}
