import type { Socket } from "node:net";

/**
 * Coalesces the frames written during one tick into a single socket write (one syscall for, e.g., a DATA and END
 * pair), and tells the caller when the socket is backed up. A batch that reaches `maxBatchFrames` frames is written
 * at once instead of at the end of the tick: with many streams in flight the peer starts on the first part of a
 * burst while this side still produces the rest, so the two processes work in parallel instead of taking turns.
 * A lone frame still goes out at the end of its tick, so one stream in flight sees no extra latency.
 */
export interface FrameWriter {
  /** Queues encoded bytes; they go out at the end of the current tick. */
  write(bytes: Uint8Array): void;
  /** Writes everything queued now. */
  flush(): void;
  /** Bytes queued here or in the socket but not yet handed to the kernel. */
  readonly backlog: number;
  /** Resolves once the backlog is under the high water mark (immediately if it already is). */
  waitForDrain(): Promise<void>;
  /** True when the backlog exceeds the high water mark. */
  readonly congested: boolean;
  /** Total bytes handed to the socket. */
  readonly bytesOut: number;
}

class Writer implements FrameWriter {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
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

  write(bytes: Uint8Array): void {
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    if (this.pending.length >= this.maxBatchFrames) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(this.onTick);
    }
  }

  flush(): void {
    const n = this.pending.length;
    if (n === 0) return;
    const data = n === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    this.bytesOut += this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    if (this.socket.destroyed || !this.socket.writable) return;
    this.socket.write(data);
  }

  waitForDrain(): Promise<void> {
    if (!this.congested || this.socket.destroyed) return Promise.resolve();
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
 * Frames per batch written at once (see {@link FrameWriter}). Measured with the package benchmark at 16 one-token
 * generates in flight: per-tick only 24.0k req/s, batches of 4 frames 33.4k, 6: 31.7k, 8: 39.2k, 12: 35.7k, 16: 26.0k.
 */
export const DEFAULT_MAX_BATCH_FRAMES = 8;

/** Creates a {@link FrameWriter} over a socket with the given high water mark (bytes) and batch size (frames). */
export function createFrameWriter(
  socket: Socket,
  highWaterMark = 256 * 1024,
  maxBatchFrames = DEFAULT_MAX_BATCH_FRAMES,
): FrameWriter {
  return new Writer(socket, highWaterMark, Math.max(1, maxBatchFrames));
}
