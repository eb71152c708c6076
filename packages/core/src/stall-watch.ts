import { Code } from "./code.js";
import { ModelwireError } from "./error.js";
import { clampTimerMs } from "./timer.js";

/**
 * How long a server lets a stream's writes make no progress before it gives up on the reader: 30 s. A client that
 * stops reading (its socket buffer or HTTP/2 window full) would otherwise hold its stream's slot, the engine call
 * behind it and the bytes queued for it for as long as its connection stays open.
 */
export const DEFAULT_WRITE_STALL_TIMEOUT_MS = 30_000;

/**
 * What a {@link StallWatch} watches: a writer's queued bytes and what says they moved. Give `flushed` where the
 * transport counts bytes taken by the peer (a socket: `bytesWritten - writableLength`); otherwise `pending` must
 * count only bytes the writer is blocked on (it refills nothing until 'drain'), so that a shrinking queue or a
 * 'drain' is the only sign of progress.
 */
export interface StallTarget {
  /** Bytes written but not yet taken by the peer (a socket's or response's `writableLength`, a frame backlog). */
  pending(): number;
  /** A count that grows whenever the peer takes bytes (monotonic); optional. */
  flushed?(): number;
  /** Subscribes to "the queue emptied" (`'drain'`); optional. */
  onDrain?(listener: () => void): void;
  /** Unsubscribes what {@link onDrain} subscribed. */
  offDrain?(listener: () => void): void;
}

/** A socket as a {@link StallTarget}: its queued bytes, and the bytes the kernel took as the progress count. */
export function socketStallTarget(socket: {
  readonly writableLength: number;
  readonly bytesWritten: number;
}): StallTarget {
  return {
    pending: () => socket.writableLength,
    flushed: () => socket.bytesWritten - socket.writableLength,
  };
}

/**
 * Cuts writers whose peer stopped reading. A writer is stalled when bytes have waited on it for `stallMs` without
 * the peer taking any (`flushed` unchanged; or, without it, the queue neither emptying nor shrinking): a slow reader
 * is never cut, a stopped one after between `stallMs` and 1.25 × `stallMs`. Each tick judges after the next poll
 * phase, so a reader that read while this thread was blocked is not cut for it, and a stopped one is cut on time
 * however starved this process is. One timer per watch (every `stallMs`/4, only while something is watched).
 */
export interface StallWatch {
  /** The stall timeout in ms (0: the watch is off and {@link watch} does nothing). */
  readonly stallMs: number;
  /** Writers cut so far. */
  readonly stalled: number;
  /**
   * Watches `target` until the returned function is called (idempotent); on a stall `onStall` runs once with
   * {@link writeStallError} and the target is no longer watched.
   */
  watch(target: StallTarget, onStall: (err: ModelwireError) => void): () => void;
}

/** The error of a stream whose reader made no progress for `stallMs`: RESOURCE_EXHAUSTED, reason `write_stall`. */
export function writeStallError(stallMs: number): ModelwireError {
  return new ModelwireError(
    `stream stalled: the client read nothing for ${stallMs} ms (writeStallTimeoutMs)`,
    Code.ResourceExhausted,
    { reason: "write_stall", limit: "writeStallTimeoutMs", max: String(stallMs) },
  );
}

interface Entry {
  target: StallTarget;
  onStall: (err: ModelwireError) => void;
  drained: () => void;
  /** The queue emptied since the last tick. */
  moved: boolean;
  last: number;
  lastFlushed: number;
  since: number;
}

/**
 * Creates a {@link StallWatch} with the given timeout (ms; 0 turns it off). A bad value (negative, NaN, infinite)
 * throws INVALID_ARGUMENT naming `writeStallTimeoutMs`.
 */
export function createStallWatch(stallMs: number = DEFAULT_WRITE_STALL_TIMEOUT_MS): StallWatch {
  if (!Number.isFinite(stallMs) || stallMs < 0) {
    throw new ModelwireError(
      `writeStallTimeoutMs must be 0 (off) or a positive number of ms, got ${stallMs}`,
      Code.InvalidArgument,
      { field: "writeStallTimeoutMs" },
    );
  }
  const entries = new Set<Entry>();
  let timer: ReturnType<typeof setInterval> | undefined;
  let stalled = 0;
  const period = clampTimerMs(Math.max(10, stallMs / 4));

  // A tick judges after the next poll phase, not in the timers phase it fires in: a tick late because this thread
  // was blocked (a long task, GC, a loaded machine) comes before the poll phase that reads what happened meanwhile
  // (the bytes the kernel took, 'drain'). Judged there, a reader that read meanwhile shows its progress, and one that
  // did not is cut on time however starved this process is (no tick is skipped for being late).
  let judging = false;
  const judge = () => {
    judging = false;
    const now = performance.now();
    for (const e of entries) {
      const t = e.target;
      const p = t.pending();
      const f = t.flushed ? t.flushed() : 0;
      const progressed = t.flushed ? f !== e.lastFlushed : p < e.last;
      if (e.moved || p === 0 || progressed) {
        e.moved = false;
        e.since = now;
      } else if (now - e.since >= stallMs) {
        remove(e);
        stalled++;
        e.onStall(writeStallError(stallMs));
        continue;
      }
      e.last = p;
      e.lastFlushed = f;
    }
  };
  const tick = () => {
    if (judging) return;
    judging = true;
    const at = performance.now();
    setImmediate(() => {
      // Blocked again between the tick and here (a long task earlier in this check phase): what the peer did
      // meanwhile is read in the next poll phase, so judge after that one. Only once: a process starved at every
      // turn must still judge.
      if (performance.now() - at > period) setImmediate(judge);
      else judge();
    });
  };
  const remove = (e: Entry) => {
    if (!entries.delete(e)) return;
    e.target.offDrain?.(e.drained);
    if (entries.size === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  };

  return {
    stallMs,
    get stalled() {
      return stalled;
    },
    watch(target, onStall) {
      if (stallMs === 0) return () => {};
      const e: Entry = {
        target,
        onStall,
        drained: () => {},
        moved: false,
        last: target.pending(),
        lastFlushed: target.flushed ? target.flushed() : 0,
        since: performance.now(),
      };
      e.drained = () => {
        e.moved = true;
      };
      target.onDrain?.(e.drained);
      entries.add(e);
      if (timer === undefined) {
        timer = setInterval(tick, clampTimerMs(period));
        timer.unref();
      }
      return () => remove(e);
    },
  };
}
