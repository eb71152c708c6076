import type { Socket } from "node:net";

/**
 * Coalesces the frames written during one tick into a single socket write (one syscall for, e.g., a DATA and END
 * pair), and tells the caller when the socket is backed up. A batch that reaches `maxBatchFrames` frames is written
 * at once instead of at the end of the tick: with many streams in flight the peer starts on the first part of a
 * burst while this side still produces the rest, so the two processes work in parallel instead of taking turns.
 * A lone frame still goes out at the end of its tick, so one stream in flight sees no extra latency.
 *
 * Large buffers (≥ `largeBytes`, default 64 KiB: a big request input, say) are never concatenated: a batch holding
 * one is written with the socket corked, small neighbours joined and each large buffer passed as it is, so Node
 * hands the batch to the kernel in one `writev` without copying the large buffer.
 */
export interface FrameWriter {
  /**
   * Queues encoded bytes; they go out at the end of the current tick. `counted` false (a later chunk of a stream
   * that already sent one: see {@link DEFAULT_MAX_BATCH_BYTES}) does not count toward `maxBatchFrames`; such
   * frames are written early only once the batch holds `maxBatchBytes`.
   */
  write(bytes: Uint8Array, counted?: boolean): void;
  /** Queues one frame given as consecutive parts (e.g. header and fields, then a large input not copied). */
  writeParts(parts: readonly Uint8Array[]): void;
  /**
   * Queues a frame still being built (a batched DATA frame, docs/mcp-wire.md §4.9): its place among the queued
   * frames is taken now, its bytes are `frame.seal()`ed when the batch is written — at the end of the tick, or
   * earlier when the uncounted bytes reach `maxBatchBytes` — so it holds exactly the chunks produced until then and
   * none waits for a later one. `bytes` is its size so far; report growth with {@link FrameWriter.grew}. This call
   * itself never writes.
   */
  writeSealed(frame: SealedFrame, bytes: number): void;
  /** A frame queued with {@link FrameWriter.writeSealed} grew by `bytes` (uncounted, like a later chunk). */
  grew(bytes: number): void;
  /** Writes everything queued now. */
  flush(): void;
  /** Bytes queued here or in the socket but not yet handed to the kernel. */
  readonly backlog: number;
  /** Resolves once the backlog is under the high water mark (immediately if it already is). */
  waitForDrain(): Promise<void>;
  /** True when the backlog exceeds the high water mark. */
  readonly congested: boolean;
  /** Wakes every {@link waitForDrain} now and from now on (the connection is closing: nothing waits on it). */
  release(): void;
  /** Total bytes handed to the socket. */
  readonly bytesOut: number;
}

/** A frame whose bytes are final only when it is written (see {@link FrameWriter.writeSealed}). */
export interface SealedFrame {
  /** Closes the frame (nothing more is added) and returns its bytes. */
  seal(): Uint8Array;
}

const NO_BYTES = new Uint8Array(0);

class Writer implements FrameWriter {
  /** Frames queued with `writeSealed`, and their places in `pending`. */
  private sealed: SealedFrame[] = [];
  private sealedAt: number[] = [];
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  /** Frames queued (a frame given as parts counts once). */
  private pendingFrames = 0;
  /** Some queued buffer is at least `largeBytes` long. */
  private pendingLarge = false;
  private scheduled = false;
  bytesOut = 0;
  private waiters: (() => void)[] = [];
  private readonly onTick = () => {
    this.scheduled = false;
    this.flush();
  };

  constructor(
    private readonly socket: Socket,
    private readonly highWaterMark: number,
    private readonly maxBatchFrames: number,
    private readonly largeBytes: number,
    private readonly maxBatchBytes: number,
  ) {
    socket.on("drain", () => this.wake());
    socket.on("close", () => this.wake());
  }

  get backlog(): number {
    return this.pendingBytes + this.socket.writableLength;
  }

  get congested(): boolean {
    return this.backlog > this.highWaterMark;
  }

  write(bytes: Uint8Array, counted = true): void {
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    if (bytes.length >= this.largeBytes) this.pendingLarge = true;
    if (counted) this.queued();
    else if (this.pendingBytes >= this.maxBatchBytes) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(this.onTick);
    }
  }

  writeParts(parts: readonly Uint8Array[]): void {
    for (const p of parts) {
      if (p.length === 0) continue;
      this.pending.push(p);
      this.pendingBytes += p.length;
      if (p.length >= this.largeBytes) this.pendingLarge = true;
    }
    this.queued();
  }

  writeSealed(frame: SealedFrame, bytes: number): void {
    this.sealedAt.push(this.pending.length);
    this.sealed.push(frame);
    this.pending.push(NO_BYTES);
    // Never written here, even past the byte bound: the frame is still empty (its first part comes with `grew`).
    this.pendingBytes += bytes;
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(this.onTick);
    }
  }

  grew(bytes: number): void {
    this.pendingBytes += bytes;
    if (this.pendingBytes >= this.maxBatchBytes) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(this.onTick);
    }
  }

  private queued(): void {
    if (++this.pendingFrames >= this.maxBatchFrames) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(this.onTick);
    }
  }

  flush(): void {
    const pending = this.pending;
    const n = pending.length;
    if (n === 0) return;
    if (this.sealed.length !== 0) {
      // Frames still being built are closed now, in their places (their sizes were counted as they grew).
      const frames = this.sealed;
      const at = this.sealedAt;
      this.sealed = [];
      this.sealedAt = [];
      for (let i = 0; i < frames.length; i++) pending[at[i]] = frames[i].seal();
    }
    const total = this.pendingBytes;
    const large = this.pendingLarge;
    this.bytesOut += total;
    this.pending = [];
    this.pendingBytes = 0;
    this.pendingFrames = 0;
    this.pendingLarge = false;
    const socket = this.socket;
    if (socket.destroyed || !socket.writable) return;
    if (!large) {
      // A socket that is backed up keeps what it is given until the peer reads: give it a compact copy then, not a
      // view that would pin a whole 64 KiB slab (slab.ts) per stalled connection.
      if (socket.writableLength > 0) socket.write(Buffer.concat(pending, total));
      else socket.write(n === 1 ? pending[0] : (adjacent(pending) ?? Buffer.concat(pending, total)));
      return;
    }
    // Large buffers go as they are; runs of small ones between them are joined. Corked: one writev.
    socket.cork();
    let from = 0;
    let runBytes = 0;
    for (let i = 0; i <= n; i++) {
      const b = i < n ? pending[i] : undefined;
      if (b !== undefined && b.length < this.largeBytes) {
        runBytes += b.length;
        continue;
      }
      if (i > from) socket.write(i - from === 1 ? pending[from] : Buffer.concat(pending.slice(from, i), runBytes));
      if (b !== undefined) socket.write(b);
      from = i + 1;
      runBytes = 0;
    }
    socket.uncork();
  }

  private released = false;

  release(): void {
    this.released = true;
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  waitForDrain(): Promise<void> {
    if (!this.congested || this.socket.destroyed || this.released) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    if (this.congested && !this.socket.destroyed) return;
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

/**
 * One view over `parts` when they lie back to back in one buffer (frames cut in a row from a slab, see slab.ts), so
 * a batch goes out without a copy; `undefined` otherwise.
 */
function adjacent(parts: readonly Uint8Array[]): Uint8Array | undefined {
  const first = parts[0];
  const buffer = first.buffer;
  let end = first.byteOffset + first.byteLength;
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i];
    if (p.buffer !== buffer || p.byteOffset !== end) return undefined;
    end += p.byteLength;
  }
  return new Uint8Array(buffer, first.byteOffset, end - first.byteOffset);
}

/**
 * Frames per batch written at once by a server (see {@link FrameWriter}): 8, i.e. four one-token generates (DATA
 * and END each). Measured with the package benchmark at 16 one-token generates in flight (server batch with the
 * client at 4; MCP/echo requests/s, two runs each, 18:35 UTC 2026-11-25): 4: 0.65–0.67×, 6: 0.73–0.74×,
 * 8: 0.82–0.83×, 10: 0.84×, 16: 0.66×. Server CPU per request barely moves (4.2–5.5 µs): what changes is how
 * much the two processes overlap; batches of 16 or more frames made them take turns and halved the rate.
 * Rerun the sweep with `npm run perf:batch -w @modelwire/mcp` (bench/batch-sweep.ts; docs/mcp-wire.md §10).
 */
export const DEFAULT_MAX_BATCH_FRAMES = 8;

/**
 * Frames per batch written at once by a client: 4 OPEN frames, the same four requests' worth as the server's 8.
 * Measured as above with the server at 8: client 2: 0.65–0.71×, 3: 0.73–0.75×, 4: 0.82–0.83×, 8: 0.72–0.77×,
 * 16: 0.72×.
 */
export const DEFAULT_CLIENT_MAX_BATCH_FRAMES = 4;

/**
 * Bytes of uncounted frames (the second and later chunks of a stream) after which a batch is written before the
 * end of its tick: 16 KiB. `maxBatchFrames` was tuned on one-token replies, where an early write lets the client
 * start on whole replies; a long token stream produces tens of chunks per stream per tick (the synthetic engine
 * yields every 64), and counting each of them wrote a 20–60-byte frame batch per 8 chunks: a `--cpu-prof` of the
 * gateway under `modelwire bench --tokens 256` (2026-12-01) put 19.5 % of its CPU in the socket writes
 * (`writeBuffer`). A stream's first chunk still counts, so the time to its first token is as before.
 */
export const DEFAULT_MAX_BATCH_BYTES = 16 * 1024;

/** Buffers at least this long are written as they are, never concatenated (see {@link FrameWriter}). */
export const DEFAULT_LARGE_WRITE_BYTES = 64 * 1024;

/**
 * Creates a {@link FrameWriter} over a socket with the given high water mark (bytes), batch size (frames), size
 * from which a buffer is written without concatenation (bytes) and bytes of uncounted frames written early.
 */
export function createFrameWriter(
  socket: Socket,
  highWaterMark = 256 * 1024,
  maxBatchFrames = DEFAULT_MAX_BATCH_FRAMES,
  largeBytes = DEFAULT_LARGE_WRITE_BYTES,
  maxBatchBytes = DEFAULT_MAX_BATCH_BYTES,
): FrameWriter {
  return new Writer(
    socket,
    highWaterMark,
    Math.max(1, maxBatchFrames),
    Math.max(1, largeBytes),
    Math.max(1, maxBatchBytes),
  );
}
