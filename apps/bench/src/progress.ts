import { clampTimerMs } from "@modelwire/core";
import { createProgressModel, formatCounts, formatProgress, type ProgressModel, printable } from "./progress-model.js";

/**
 * Progress output. On a TTY: permanent lines, and one status line redrawn in place (windows done of the total,
 * the running window and its live request rate, elapsed and estimated time left) that never outgrows the
 * terminal. Elsewhere (CI, pipes): the permanent lines only, free of control characters.
 */
export interface Progress {
  /** A permanent line. */
  line(text: string): void;
  /** What the running window does now (shown in the status line on a TTY; dropped elsewhere). */
  status(text: string): void;
  /** Adds `units` measured windows of `plannedMs` each (warm-up + measured time) to the total. */
  plan(units: number, plannedMs: number): void;
  /** Up to `units` more windows of `plannedMs` may still be added (the sweep's steps); 0: the total is final. */
  mayAdd(units: number, plannedMs: number, what?: string): void;
  /**
   * The windows start on a fixed plan (`--agents`): the first `delayMs` from now at the earliest, each next one its
   * predecessor's planned start + planned length + `gapMs`; time left counts the waits, and a TTY shows the wait.
   */
  startsAt(delayMs: number, gapMs: number): void;
  /** A measured window starts. */
  begin(label: string): void;
  /** `n` streams finished in the running window (its live rate). */
  count(n?: number): void;
  /** The running window finished. */
  end(): void;
  /** A permanent line with the overall counts appended (e.g. at the end of a scenario). */
  checkpoint(text: string): void;
  /** Clears any status line and stops redrawing. */
  done(): void;
}

/** Where progress goes: stdout, or anything with its shape (tests pass a fake terminal). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  stream?: ProgressStream;
  quiet?: boolean;
  /** The clock, ms (default `performance.now`). */
  now?: () => number;
  /** Status redraws at most this often and at least this often while a window runs, ms (default 250; 0: on every call, no timer). */
  redrawMs?: number;
}

const NOOP: Progress = {
  line() {},
  status() {},
  plan() {},
  mayAdd() {},
  startsAt() {},
  begin() {},
  count() {},
  end() {},
  checkpoint() {},
  done() {},
};

/** Creates a progress display on `stream` (stdout by default); `quiet` prints nothing. */
export function createProgress(opts: ProgressOptions = {}): Progress {
  if (opts.quiet) return NOOP;
  const out = opts.stream ?? process.stdout;
  const tty = out.isTTY === true;
  const now = opts.now ?? (() => performance.now());
  const redrawMs = opts.redrawMs ?? 250;
  const model: ProgressModel = createProgressModel(now);
  let statusShown = false;
  let drawnAt = Number.NEGATIVE_INFINITY;
  let timer: NodeJS.Timeout | undefined;

  const clear = () => {
    if (statusShown) out.write("\r\x1b[2K");
    statusShown = false;
  };
  const draw = () => {
    if (!tty) return;
    drawnAt = now();
    // One column short of the width: a line that fills the last column makes some terminals wrap.
    const text = formatProgress(model.snapshot(), Math.max(1, (out.columns ?? 80) - 1));
    out.write(`${statusShown ? "\r\x1b[2K" : ""}${text}`);
    statusShown = true;
  };
  const startTimer = () => {
    if (!tty || redrawMs <= 0 || timer) return;
    timer = setInterval(draw, clampTimerMs(redrawMs));
    timer.unref();
  };
  const line = (text: string) => {
    const shown = statusShown;
    clear();
    out.write(`${printable(text)}\n`);
    // The status line stays below the permanent ones.
    if (shown) draw();
  };
  return {
    line,
    status(text) {
      model.activity(text);
      draw();
    },
    plan(units, plannedMs) {
      model.plan(units, plannedMs);
    },
    mayAdd(units, plannedMs, what) {
      model.mayAdd(units, plannedMs, what);
    },
    startsAt(delayMs, gapMs) {
      model.startsAt(now() + delayMs, gapMs);
      startTimer();
      draw();
    },
    begin(label) {
      model.begin(label);
      startTimer();
      draw();
    },
    count(n) {
      model.count(n);
      if (now() - drawnAt >= redrawMs) draw();
    },
    end() {
      model.end();
    },
    checkpoint(text) {
      line(`${text}: ${formatCounts(model.snapshot())}`);
    },
    done() {
      if (timer) clearInterval(timer);
      timer = undefined;
      clear();
    },
  };
}
