/**
 * The run's overall progress, clock-injected and free of I/O: measured windows done of the total planned, time
 * elapsed and left, and the running window's live request rate; {@link formatProgress} makes the status line.
 *
 * Time left = the planned duration of what is not done (warm-up + measured time per window), scaled by how long
 * finished windows really took against their plan (drain, stats reads, a loaded machine), less what the running
 * window has already spent. Windows not known yet (the sweep's steps) are shown apart, as an upper bound: the
 * most steps the sweep can still run, at the same scale. When windows start on a fixed plan (`--agents`: the
 * common start, then one slot per window with a gap after each), a window never starts before its planned start,
 * so the waits (for the start, the gaps, the rest of a slot a window left unused) count too.
 *
 * @module
 */
import stringWidth from "string-width";

/** What the status line shows at one instant. */
export interface ProgressSnapshot {
  done: number;
  total: number;
  /** True while more windows may still be added (the sweep's steps become known one at a time). */
  more: boolean;
  /** Upper bound of the time those windows may still take (scaled like `leftMs`), and what they are. */
  moreMs?: number;
  moreWhat?: string;
  elapsedMs: number;
  leftMs: number;
  /** The running window, and what it is doing now (e.g. warming up). */
  label?: string;
  activity?: string;
  /** Streams finished per second in the running window over the last two seconds (of its current activity). */
  rate?: number;
}

/** Tracks the plan and the running window. */
export interface ProgressModel {
  /** Adds `units` windows of `plannedMs` each to the total. */
  plan(units: number, plannedMs: number): void;
  /**
   * Up to `units` more windows of `plannedMs` each may still start beyond the plan (`what`: e.g. "sweep", whose
   * steps become known one at a time); replaces the previous allowance; 0 units: the total is final.
   */
  mayAdd(units: number, plannedMs: number, what?: string): void;
  /**
   * Windows start on a fixed plan: the next one to begin no earlier than `firstAt` (this model's clock), each after
   * it no earlier than its predecessor's planned start plus its planned length plus `gapMs`.
   */
  startsAt(firstAt: number, gapMs: number): void;
  /** A window starts: the next planned one, else one of the allowance, else one more of the last planned length. */
  begin(label: string): void;
  /** What the running window does now. */
  activity(text: string | undefined): void;
  /** `n` streams finished in the running window. */
  count(n?: number): void;
  /** The running window finished. */
  end(): void;
  snapshot(): ProgressSnapshot;
}

const RATE_SPAN_MS = 2000;
const BUCKET_MS = 250;

/** Creates a model on the clock `now` (ms); elapsed time counts from this call. */
export function createProgressModel(now: () => number): ProgressModel {
  const t0 = now();
  const queued: number[] = [];
  let lastPlanned = 0;
  let done = 0;
  let total = 0;
  let allowance = { units: 0, plannedMs: 0, what: "more" };
  let plannedDone = 0;
  let actualDone = 0;
  // `rateFrom`: when the running window's counting started (its begin, or its last change of activity, so a
  // warm-up that counts nothing does not dilute the measured part's rate).
  let current: { label: string; planned: number; began: number; rateFrom: number; activity?: string } | undefined;
  // The fixed plan, if any: when the next window may start at the earliest.
  let fixed: { nextAt: number; gapMs: number } | undefined;
  let buckets: Array<{ at: number; n: number }> = [];

  const ratio = () => (plannedDone > 0 && actualDone > 0 ? actualDone / plannedDone : 1);
  return {
    plan(units, plannedMs) {
      for (let i = 0; i < units; i++) queued.push(plannedMs);
      total += units;
      lastPlanned = plannedMs;
    },
    mayAdd(units, plannedMs, what = "more") {
      allowance = { units: Math.max(0, Math.floor(units)), plannedMs, what };
    },
    startsAt(firstAt, gapMs) {
      fixed = { nextAt: firstAt, gapMs: Math.max(0, gapMs) };
    },
    begin(label) {
      if (current) this.end();
      if (queued.length === 0 && allowance.units > 0) {
        allowance.units--;
        this.plan(1, allowance.plannedMs);
      } else if (queued.length === 0) this.plan(1, lastPlanned);
      const t = now();
      current = { label, planned: queued.shift() ?? 0, began: t, rateFrom: t };
      if (fixed) fixed.nextAt += current.planned + fixed.gapMs;
      buckets = [];
    },
    activity(text) {
      if (!current || current.activity === text) return;
      current.activity = text;
      current.rateFrom = now();
      buckets = [];
    },
    count(n = 1) {
      if (!current) return;
      const at = Math.floor(now() / BUCKET_MS) * BUCKET_MS;
      const last = buckets[buckets.length - 1];
      if (last && last.at === at) last.n += n;
      else buckets.push({ at, n });
    },
    end() {
      if (!current) return;
      done++;
      plannedDone += current.planned;
      actualDone += now() - current.began;
      current = undefined;
      buckets = [];
    },
    snapshot() {
      const t = now();
      const r = ratio();
      const more = allowance.units > 0;
      const s: ProgressSnapshot = { done, total, more, elapsedMs: t - t0, leftMs: 0 };
      if (more) {
        s.moreMs = r * allowance.units * allowance.plannedMs;
        s.moreWhat = allowance.what;
      }
      // When the run ends: the running window's rest, then each window not started, no earlier than its plan.
      let end = t + (current ? Math.max(0, r * current.planned - (t - current.began)) : 0);
      let at = fixed?.nextAt;
      for (const planned of queued) {
        if (at === undefined) end += r * planned;
        else {
          end = Math.max(end, at) + r * planned;
          at += planned + (fixed?.gapMs ?? 0);
        }
      }
      const left = end - t;
      if (!current && fixed && queued.length > 0 && fixed.nextAt > t) {
        s.label = "waiting for the planned start";
        s.activity = `in ${formatClock(fixed.nextAt - t)}`;
      }
      if (current) {
        s.label = current.label;
        if (current.activity) s.activity = current.activity;
        const span = Math.min(RATE_SPAN_MS, t - current.rateFrom);
        buckets = buckets.filter((b) => b.at > t - RATE_SPAN_MS);
        if (span >= 500) s.rate = (buckets.reduce((a, b) => a + b.n, 0) / span) * 1000;
      }
      s.leftMs = left;
      return s;
    },
  };
}

/** `m:ss`, or `h:mm:ss` from an hour. */
export function formatClock(ms: number): string {
  const secs = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(secs / 3600);
  const m = Math.floor((secs % 3600) / 60);
  const s = String(secs % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** Replaces control characters (C0, DEL, C1: escapes, carriage returns, newlines) with spaces. */
export function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, " ");
}

const GRAPHEMES = new Intl.Segmenter();

/** Cuts `text` to at most `width` terminal columns (wide characters count two), ending in "…" when cut. */
export function fitWidth(text: string, width: number): string {
  if (width <= 0) return "";
  if (stringWidth(text) <= width) return text;
  let out = "";
  let used = 0;
  for (const { segment } of GRAPHEMES.segment(text)) {
    const w = stringWidth(segment);
    if (used + w > width - 1) break;
    out += segment;
    used += w;
  }
  return `${out}…`;
}

/** Time left: `~1:40 left`, and with windows still to be added `~1:40 left + sweep ≤2:10`. */
function formatLeft(s: ProgressSnapshot): string {
  const more = s.more
    ? ` + ${printable(s.moreWhat ?? "more")}${s.moreMs !== undefined ? ` ≤${formatClock(s.moreMs)}` : ""}`
    : "";
  return `~${formatClock(s.leftMs)} left${more}`;
}

/** The counts for a permanent line: `8/24 windows · 0:42 elapsed · ~1:40 left`. */
export function formatCounts(s: ProgressSnapshot): string {
  return `${s.done}/${s.total}${s.more ? "+" : ""} windows · ${formatClock(s.elapsedMs)} elapsed · ${formatLeft(s)}`;
}

/**
 * The status line within `width` columns: the counts, the running window (cut to fit, or left out), its live
 * rate, elapsed and time left. Elapsed goes first when room is short, then the window's label, then the rate.
 */
export function formatProgress(s: ProgressSnapshot, width: number): string {
  const pct = s.total > 0 ? Math.floor((100 * s.done) / s.total) : 0;
  const counts = `[${s.done}/${s.total}${s.more ? "+" : ""}] ${pct}%`;
  const label = s.label ? printable(`${s.label}${s.activity ? ` ${s.activity}` : ""}`) : "";
  const rate = s.rate !== undefined ? `${Math.round(s.rate).toLocaleString("en-US")} req/s` : "";
  const elapsed = `${formatClock(s.elapsedMs)} elapsed`;
  const left = formatLeft(s);
  const join = (...parts: string[]) => parts.filter(Boolean).join(" · ");
  const fits = (t: string) => stringWidth(t) <= width;
  const full = join(counts, label, rate, elapsed, left);
  if (fits(full)) return full;
  const room = width - stringWidth(join(counts, rate, left)) - 3;
  if (label && room >= 8) return join(counts, fitWidth(label, room), rate, left);
  for (const t of [join(counts, rate, left), join(counts, left)]) if (fits(t)) return t;
  return fitWidth(join(counts, left), width);
}
