import { Code } from "./code.js";
import { ModelwireError } from "./error.js";
import { clampTimerMs } from "./timer.js";

/**
 * The default gateway-wide budget on bytes queued for readers that are behind: 64 MiB. A reader that keeps up holds
 * next to nothing (each write completes before the next); one that falls behind holds up to its stream's high
 * water mark, so the budget is reached only when thousands of streams are behind at once.
 */
export const DEFAULT_MAX_QUEUED_BYTES = 64 * 1024 * 1024;

/** How often a {@link WriteBudget} sums what its writers hold (ms). */
export const WRITE_BUDGET_PERIOD_MS = 100;

/** What a {@link WriteBudget} counts for one writer: the bytes written to it and not yet taken by the peer. */
export interface QueuedBytes {
  /** Bytes queued (a socket's or HTTP/2 stream's `writableLength`, an MCP connection's frame backlog). */
  pending(): number;
}

/**
 * A budget on the bytes a process holds for streams whose readers are behind, shared by every listener (HTTP,
 * Connect/gRPC/gRPC-Web, MCP): each writer is watched while its call runs, the bytes queued on all of them are
 * summed every {@link WRITE_BUDGET_PERIOD_MS}, and while the sum is over the budget the writers holding the most are
 * cut, largest first, until it is not: each gets {@link writeBudgetError} (RESOURCE_EXHAUSTED, reason
 * `write_budget`) through its wire's way of failing a stream, and is no longer counted.
 */
export interface WriteBudget {
  /** The budget in bytes (0: off, {@link WriteBudget.watch} does nothing). */
  readonly maxBytes: number;
  /** Bytes queued now on the writers watched (summed when asked). */
  held(): number;
  /** Writers cut so far. */
  readonly cut: number;
  /** Writers watched now. */
  readonly watched: number;
  /**
   * Counts `target` until the returned function is called (idempotent); when it is cut, `onCut` runs once with the
   * error and the target is no longer counted.
   */
  watch(target: QueuedBytes, onCut: (err: ModelwireError) => void): () => void;
}

/** The error of a stream cut because the process held more than `maxBytes` for readers behind. */
export function writeBudgetError(maxBytes: number, held: number, own: number): ModelwireError {
  return new ModelwireError(
    `stream cut: the server held ${held} bytes for readers that are behind, over its budget of ${maxBytes} ` +
      `(maxQueuedBytes); this stream held the most (${own})`,
    Code.ResourceExhausted,
    { reason: "write_budget", limit: "maxQueuedBytes", max: String(maxBytes) },
  );
}

interface Entry {
  target: QueuedBytes;
  onCut: (err: ModelwireError) => void;
  /** Bytes at the last sum. */
  bytes: number;
}

/**
 * Creates a {@link WriteBudget} of `maxBytes` (0 turns it off). A bad value (negative, fractional, NaN, infinite)
 * throws INVALID_ARGUMENT naming `maxQueuedBytes`. One timer (unref'd) runs only while something is watched.
 */
export function createWriteBudget(
  maxBytes: number = DEFAULT_MAX_QUEUED_BYTES,
  periodMs: number = WRITE_BUDGET_PERIOD_MS,
): WriteBudget {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
    throw new ModelwireError(
      `maxQueuedBytes must be 0 (off) or a positive whole number of bytes, got ${maxBytes}`,
      Code.InvalidArgument,
      { field: "maxQueuedBytes" },
    );
  }
  const entries = new Set<Entry>();
  let timer: ReturnType<typeof setInterval> | undefined;
  let cut = 0;

  const remove = (e: Entry) => {
    if (!entries.delete(e)) return;
    if (entries.size === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  };

  const tick = () => {
    let total = 0;
    for (const e of entries) {
      e.bytes = e.target.pending();
      total += e.bytes;
    }
    if (total <= maxBytes) return;
    const held = total;
    const largest = [...entries].filter((e) => e.bytes > 0).sort((a, b) => b.bytes - a.bytes);
    for (const e of largest) {
      if (total <= maxBytes) break;
      total -= e.bytes;
      remove(e);
      cut++;
      e.onCut(writeBudgetError(maxBytes, held, e.bytes));
    }
  };

  return {
    maxBytes,
    held() {
      let total = 0;
      for (const e of entries) total += e.target.pending();
      return total;
    },
    get cut() {
      return cut;
    },
    get watched() {
      return entries.size;
    },
    watch(target, onCut) {
      if (maxBytes === 0) return () => {};
      const e: Entry = { target, onCut, bytes: 0 };
      entries.add(e);
      if (timer === undefined) {
        timer = setInterval(tick, clampTimerMs(periodMs));
        timer.unref();
      }
      return () => remove(e);
    },
  };
}
