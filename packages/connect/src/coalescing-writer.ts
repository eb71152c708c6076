/**
 * What a {@link CoalescingWriter} writes to: an HTTP/2 or HTTP/1.1 response (`write` with a completion callback).
 */
export interface WriteTarget {
  write(chunk: Buffer, callback: (error?: Error | null) => void): boolean;
}

/** Writes a stream's messages with few write requests queued at once; see {@link createCoalescingWriter}. */
export interface CoalescingWriter {
  /**
   * Writes `chunk` now, or holds it to be joined with the next ones while an earlier write is still queued. Returns
   * false when the target asked the caller to wait for 'drain' (as `write()` does).
   */
  write(chunk: Buffer): boolean;
  /** Writes what is held now (before the call's end is written). */
  flush(): void;
  /** Write requests queued in the target and not yet done (for tests). */
  readonly queued: number;
}

/** Held messages are written as one once they reach this size, even while earlier writes are queued. */
export const COALESCE_BYTES = 4096;

/**
 * A stream's writer that keeps the number of queued write requests small. Every `write()` on a Node stream queues
 * one request (for HTTP/2 a JS Buffer, a write wrap and an nghttp2 write record, hundreds of bytes) until the peer's
 * flow-control window lets it out; a token is some 40 bytes, so a stream whose reader falls behind held ~400
 * requests under the 16 KiB high water mark, and 1,000 such streams tens of MiB of bookkeeping (issue 19: gateway
 * RSS under overload). Here a message written while an earlier write is still queued is held and joined with the
 * ones after it: written when the queue empties, or as one write once `COALESCE_BYTES` are held — so the bytes
 * queued still reach the high water mark (backpressure and the write-stall watch see the same queue) in about
 * five requests. A healthy stream's writes complete before the next token, so nothing is held back.
 */
export function createCoalescingWriter(target: WriteTarget): CoalescingWriter {
  let queued = 0;
  let held: Buffer[] = [];
  let heldBytes = 0;
  const done = () => {
    queued--;
    if (queued === 0 && heldBytes > 0) writeHeld();
  };
  function writeHeld(): boolean {
    const chunk = held.length === 1 ? held[0] : Buffer.concat(held, heldBytes);
    held = [];
    heldBytes = 0;
    queued++;
    return target.write(chunk, done);
  }
  return {
    write(chunk) {
      if (queued === 0 && heldBytes === 0) {
        queued++;
        return target.write(chunk, done);
      }
      held.push(chunk);
      heldBytes += chunk.length;
      return heldBytes >= COALESCE_BYTES ? writeHeld() : true;
    },
    flush() {
      if (heldBytes > 0) writeHeld();
    },
    get queued() {
      return queued;
    },
  };
}
