import { abortReason, Code, ModelwireError } from "@modelwire/core";
import { NEVER } from "./call.js";
import type { ClientConnection } from "./client-connection.js";

/** A call waiting for a stream slot; `open` starts it on a connection with a free slot. */
interface QueuedCall {
  open(conn: ClientConnection): void;
  fail(err: ModelwireError): void;
  /** Set once the call left the queue (started, aborted or failed). */
  gone: boolean;
}

/**
 * The client's calls waiting for a stream slot, first in first out, bounded by `maxQueuedStreams`. A call leaves it
 * when it is started on a connection, fails, or its signal fires; an aborted call is only marked and skipped later
 * (no search), and the array is compacted once its dead head grows.
 */
export class CallQueue {
  private queue: QueuedCall[] = [];
  private head = 0;
  /** Live entries (calls still waiting). */
  size = 0;

  constructor(private readonly maxQueuedStreams: number) {}

  /**
   * Queues a call: resolves with what `open(conn)` returns once {@link CallQueue.startNext} hands it a connection,
   * rejects with `fail`'s error, with the signal's reason if it fires first, or at once with `ResourceExhausted`
   * when the queue is full. `queued` runs after the call is in the queue (the client then tries to start it).
   */
  enqueue<T>(signal: AbortSignal, open: (conn: ClientConnection) => T, queued: () => void): Promise<T> {
    if (this.size >= this.maxQueuedStreams) {
      throw new ModelwireError(
        `MCP client stream queue is full (maxQueuedStreams ${this.maxQueuedStreams}; every connection is at the server's stream limit)`,
        Code.ResourceExhausted,
        { limit: String(this.maxQueuedStreams), option: "maxQueuedStreams" },
      );
    }
    return new Promise<T>((resolve, reject) => {
      const leave = () => {
        entry.gone = true;
        this.size--;
        if (signal !== NEVER) signal.removeEventListener("abort", onAbort);
      };
      const onAbort = () => {
        if (entry.gone) return;
        leave();
        reject(abortReason(signal));
      };
      const entry: QueuedCall = {
        gone: false,
        open: (conn) => {
          leave();
          try {
            resolve(open(conn));
          } catch (e) {
            reject(e);
          }
        },
        fail: (err) => {
          leave();
          reject(err);
        },
      };
      if (signal !== NEVER) signal.addEventListener("abort", onAbort, { once: true });
      this.queue.push(entry);
      this.size++;
      queued();
    });
  }

  /** Starts the oldest waiting call on `conn`; false when none waits. */
  startNext(conn: ClientConnection): boolean {
    const e = this.next();
    if (!e) return false;
    e.open(conn);
    return true;
  }

  /** Fails every waiting call with `err`. */
  failAll(err: ModelwireError): void {
    for (let e = this.next(); e; e = this.next()) e.fail(err);
    this.compact();
  }

  /** Drops the entries that already left from the front of the array. */
  compact(): void {
    if (this.head >= this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private next(): QueuedCall | undefined {
    while (this.head < this.queue.length) {
      const e = this.queue[this.head++];
      if (!e.gone) return e;
    }
    return undefined;
  }
}
