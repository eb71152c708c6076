import type { Socket } from "node:net";

/**
 * Coalesces the frames written during one tick into a single socket write (one syscall for, e.g., 16 OPENs or a
 * DATA and END pair), and tells the caller when the socket is backed up.
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

  constructor(
    private readonly socket: Socket,
    private readonly highWaterMark: number,
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
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
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

/** Creates a {@link FrameWriter} over a socket with the given high water mark (bytes). */
export function createFrameWriter(socket: Socket, highWaterMark = 256 * 1024): FrameWriter {
  return new Writer(socket, highWaterMark);
}
