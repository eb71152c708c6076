/** What a {@link CoalescingWriter} writes to: a Node writable (an HTTP/2 stream, an HTTP/1.1 response). */
export interface WriteTarget<T> {
  write(chunk: T, callback: (error?: Error | null) => void): boolean;
}

/** Writes a stream's chunks with few write requests queued at once; see {@link createCoalescingWriter}. */
export interface CoalescingWriter<T> {
  /**
   * Writes `chunk` now, or holds it to be joined with the next ones while an earlier write is still queued. Returns
   * false when the target asked the caller to wait for 'drain' (as `write()` does).
   */
  write(chunk: T): boolean;
  /** Writes what is held now (before the stream's end is written). */
  flush(): void;
  /** Write requests queued in the target and not yet done (for tests). */
  readonly queued: number;
}

/** Held chunks are written as one once they reach this size (bytes, or UTF-16 units for text), even while queued. */
export const COALESCE_BYTES = 4096;

/** Joins held Buffers (one copy). */
export const joinBuffers = (chunks: Buffer[], size: number): Buffer =>
  chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
/** Joins held texts. */
export const joinTexts = (chunks: string[]): string => (chunks.length === 1 ? chunks[0] : chunks.join(""));

/**
 * A stream's writer that keeps the number of queued write requests small (issue 19: gateway memory under
 * overload). Every `write()` on a Node stream queues one request until the peer takes the bytes — for HTTP/2 a JS
 * Buffer, a queue entry and an nghttp2 write record; for HTTP/1.1 a chunk with its chunked-encoding framing —
 * hundreds of bytes for a ~40-byte token, so a stream whose reader falls behind held one request per token up to
 * the 16 KiB high water mark (~2,000 per unread gRPC stream with its flow-control window). Here a chunk written
 * while an earlier write is still queued is held and joined with the ones after it: written when the queue empties,
 * or as one write once {@link COALESCE_BYTES} are held — so the queued bytes still reach the high water mark
 * (backpressure and a write-stall watch see the same queue) in about five requests. A healthy stream's writes
 * complete before its next chunk, so nothing is held back.
 */
export function createCoalescingWriter<T extends string | Buffer>(
  target: WriteTarget<T>,
  join: (chunks: T[], size: number) => T,
): CoalescingWriter<T> {
  let queued = 0;
  let held: T[] = [];
  let heldSize = 0;
  const done = () => {
    queued--;
    if (queued === 0 && heldSize > 0) writeHeld();
  };
  function writeHeld(): boolean {
    const chunk = join(held, heldSize);
    held = [];
    heldSize = 0;
    queued++;
    return target.write(chunk, done);
  }
  return {
    write(chunk) {
      if (queued === 0 && heldSize === 0) {
        queued++;
        return target.write(chunk, done);
      }
      held.push(chunk);
      heldSize += chunk.length;
      return heldSize >= COALESCE_BYTES ? writeHeld() : true;
    },
    flush() {
      if (heldSize > 0) writeHeld();
    },
    get queued() {
      return queued;
    },
  };
}
