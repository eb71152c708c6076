import type { ModelwireError } from "@modelwire/core";
import { type Frame, FrameType } from "@modelwire/mcp-codec";

/** The connection a {@link ClientStream} belongs to, as the stream sees it. */
export interface StreamOwner {
  /** Client-side backpressure: `delta` frames more (or fewer) wait for the application. */
  queued(delta: number): void;
  /** Sends CANCEL for the stream (unless it already ended) and forgets it. */
  cancelStream(s: ClientStream): void;
}

/** The receiving side of one stream: frames are queued until the caller takes them. */
export class ClientStream {
  private queue: Frame[] = [];
  private head = 0;
  private waiter: { resolve: (f: Frame | undefined) => void; reject: (e: unknown) => void } | undefined;
  error: ModelwireError | undefined;
  ended = false;
  /** Next DATA/END sequence number expected. */
  expectedSeq = 0;

  constructor(
    readonly id: number,
    private readonly conn: StreamOwner,
  ) {}

  /** Delivers a DATA or END frame. */
  deliver(f: Frame): void {
    if (f.type === FrameType.End) this.ended = true;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w.resolve(f);
      return;
    }
    this.queue.push(f);
    // A batched DATA frame counts as its chunks, until the caller takes it (then it holds them).
    this.conn.queued(f.batch ?? 1);
  }

  /** Ends the stream with an error (an ERROR frame, a dead connection, a sequence gap). */
  failWith(err: ModelwireError): void {
    if (this.error || this.ended) return;
    this.error = err;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w.reject(err);
    }
  }

  /** The next DATA/END frame (queued ones first), or a rejection with the stream's error. */
  next(): Promise<Frame | undefined> {
    const f = this.take();
    if (f !== undefined) return Promise.resolve(f);
    return new Promise((resolve, reject) => this.wait(resolve, reject));
  }

  /** The oldest queued DATA/END frame, taken at once, or `undefined` when none is queued (then {@link wait}). */
  take(): Frame | undefined {
    if (this.head === this.queue.length) return undefined;
    const f = this.queue[this.head++];
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    }
    this.conn.queued(-(f.batch ?? 1));
    return f;
  }

  /**
   * With nothing queued: `resolve` gets the next frame the moment it is delivered (or `undefined` at once when
   * the stream already ended), `reject` the stream's error (at once when it already failed). One waiter at a time.
   */
  wait(resolve: (f: Frame | undefined) => void, reject: (e: unknown) => void): void {
    if (this.error) reject(this.error);
    else if (this.ended) resolve(undefined);
    else this.waiter = { resolve, reject };
  }

  /** Tells the server to stop (unless the stream already ended) and forgets the stream. */
  cancel(): void {
    this.conn.cancelStream(this);
  }

  /** Unread queued chunks (dropped on cancel); a batched frame counts as its chunks. */
  drop(): number {
    let n = 0;
    for (let i = this.head; i < this.queue.length; i++) n += this.queue[i].batch ?? 1;
    this.queue = [];
    this.head = 0;
    return n;
  }
}
