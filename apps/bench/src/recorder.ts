import {
  createLatencyHistogram,
  decodeLatencyHistogram,
  type LatencyHistogram,
  type LatencySummary,
} from "./histogram.js";
import type { StreamOutcome } from "./stream-call.js";
import type { StreamMetrics } from "./stream-metrics.js";

/**
 * The histograms a run keeps, by metric name. `overhead`, `ttftOverhead` and `tokenOverhead` hold what the wire
 * (and any hop in front of the engine) added per request, before the first token and per later token: client time
 * minus the server's own durations (see {@link StreamMetrics}).
 */
export const HISTOGRAM_NAMES = [
  "ttft",
  "e2e",
  "gap",
  "tpot",
  "stall",
  "sendLag",
  "overhead",
  "ttftOverhead",
  "tokenOverhead",
] as const;
/** One of {@link HISTOGRAM_NAMES}. */
export type HistogramName = (typeof HISTOGRAM_NAMES)[number];

/** Token verification totals over many streams. */
export interface VerifyTotals {
  /** Streams verified. */
  streams: number;
  /** Streams whose tokens were not exactly the expected ones. */
  failedStreams: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  mismatched: number;
}

/** A per-request SLO used to count goodput (a request counts when it succeeded and meets every bound). */
export interface GoodputBounds {
  /** TTFT bound in ms. */
  ttftMs?: number;
  /** End-to-end bound in ms. */
  e2eMs?: number;
  /** Per-token decode bound in ms. */
  tpotMs?: number;
}

/** How the server's own durations compared with the client's timing. */
export interface OverheadCounts {
  /** Successful streams whose final chunk carried the server's durations (the overhead histograms' count). */
  reported: number;
  /** Of those, streams where the client measured less than the server reported (clocks disagree); recorded as 0. */
  negative: number;
}

/**
 * The cross-wire consistency check's state: a digest of the text each reproducible request produced. A request
 * (key) that produced two different texts is inconsistent.
 */
export interface ConsistencyTotals {
  /** Streams checked. */
  streams: number;
  /** Key → digest of the first text seen for it. */
  digests: Record<string, string>;
  /** Keys that produced a different text at least once. */
  inconsistent: string[];
  /**
   * Up to {@link MAX_EXAMPLES} differences, for the report: the two digests and, where the recorder still held the
   * first text, both texts around the first character where they differ (`at`).
   */
  examples: Array<{ key: string; first: string; other: string; text?: string; firstText?: string; at?: number }>;
  /** Streams not checked because {@link MAX_KEYS} distinct keys were already held. */
  unchecked: number;
}

/** Most distinct keys a recorder keeps digests for. */
export const MAX_KEYS = 20_000;
/** Most differences kept as examples. */
export const MAX_EXAMPLES = 3;
/** First texts a live recorder keeps (never serialized) to show where a later text differs. */
const MAX_TEXTS = 64;
const MAX_TEXT_CHARS = 64 * 1024;
const texts = new WeakMap<ConsistencyTotals, Map<string, string>>();

/** A snippet of both texts around the first character where they differ. */
function difference(a: string, b: string): { at: number; firstText: string; text: string } {
  let at = 0;
  while (at < a.length && at < b.length && a[at] === b[at]) at++;
  const from = Math.max(0, at - 40);
  return { at, firstText: a.slice(from, at + 80), text: b.slice(from, at + 80) };
}

/** An empty consistency state. */
export function emptyConsistency(): ConsistencyTotals {
  return { streams: 0, digests: {}, inconsistent: [], examples: [], unchecked: 0 };
}

/**
 * Adds one (key, digest) to a consistency state; returns false when the key had another digest. `text` (a snippet
 * of the differing text) goes into the example.
 */
export function checkConsistency(c: ConsistencyTotals, key: string, digest: string, text?: string): boolean {
  const first = c.digests[key];
  let kept = texts.get(c);
  if (first === undefined) {
    if (Object.keys(c.digests).length >= MAX_KEYS) {
      c.unchecked++;
      return true;
    }
    c.digests[key] = digest;
    if (text !== undefined && text.length <= MAX_TEXT_CHARS) {
      if (!kept) {
        kept = new Map();
        texts.set(c, kept);
      }
      if (kept.size < MAX_TEXTS) kept.set(key, text);
    }
    return true;
  }
  if (first === digest) return true;
  if (!c.inconsistent.includes(key)) c.inconsistent.push(key);
  if (c.examples.length < MAX_EXAMPLES) {
    const firstText = kept?.get(key);
    c.examples.push({
      key,
      first,
      other: digest,
      ...(text !== undefined && firstText !== undefined
        ? difference(firstText, text)
        : text !== undefined
          ? { text: text.slice(0, 160) }
          : {}),
    });
  }
  return false;
}

/** Merges consistency state `o` into `c` (a key seen in both with different digests is inconsistent). */
export function mergeConsistency(c: ConsistencyTotals, o: ConsistencyTotals): void {
  c.streams += o.streams;
  c.unchecked += o.unchecked;
  for (const k of o.inconsistent) if (!c.inconsistent.includes(k)) c.inconsistent.push(k);
  for (const e of o.examples) if (c.examples.length < MAX_EXAMPLES) c.examples.push(e);
  for (const [k, d] of Object.entries(o.digests)) checkConsistency(c, k, d);
}

/** The counters of a run (no histograms). */
export interface RunCounts {
  /** Streams finished (ok or failed). */
  requests: number;
  /** Streams that succeeded. */
  ok: number;
  /** Failed streams by code name. */
  errors: Record<string, number>;
  /** Generated tokens received (the server's `eval_count` where it reports one, else content chunks). */
  tokens: number;
  /** Content chunks received (one chunk can carry several tokens). */
  chunks: number;
  /** Successful requests within the goodput bounds. */
  good: number;
  /** Token verification. */
  verify: VerifyTotals;
  /** The server's own durations, where the wire carried them. */
  overhead: OverheadCounts;
  /** Cross-wire consistency (requests with a consistency key). */
  consistency: ConsistencyTotals;
}

/** A recorder's serializable form: counters plus encoded histograms. */
export interface RecordedRun extends RunCounts {
  /** Encoded histograms (compressed base64 HdrHistogram). */
  histograms: Record<HistogramName, string>;
  /** Summaries in ms, for readers that do not decode histograms. */
  summaries: Record<HistogramName, LatencySummary>;
}

/** Accumulates stream outcomes into histograms and counters. */
export interface RunRecorder {
  /** Records one stream. */
  record(outcome: StreamOutcome): void;
  /** Counters so far. */
  counts(): RunCounts;
  /** A histogram by name. */
  histogram(name: HistogramName): LatencyHistogram;
  /** Adds another recorder's figures (merging rounds or workers). */
  merge(other: RunRecorder | RecordedRun): void;
  /** Serializable snapshot. */
  toJSON(): RecordedRun;
}

function emptyVerify(): VerifyTotals {
  return { streams: 0, failedStreams: 0, lost: 0, duplicated: 0, outOfOrder: 0, mismatched: 0 };
}

/** Creates a recorder; `goodput` bounds decide which successful requests count as good. */
export function createRunRecorder(goodput: GoodputBounds = {}): RunRecorder {
  const hist = Object.fromEntries(HISTOGRAM_NAMES.map((n) => [n, createLatencyHistogram()])) as Record<
    HistogramName,
    LatencyHistogram
  >;
  const c: RunCounts = {
    requests: 0,
    ok: 0,
    errors: {},
    tokens: 0,
    chunks: 0,
    good: 0,
    verify: emptyVerify(),
    overhead: { reported: 0, negative: 0 },
    consistency: emptyConsistency(),
  };
  const recordOverhead = (m: StreamMetrics) => {
    if (m.overheadMs === undefined) return;
    c.overhead.reported++;
    if (m.overheadMs < 0 || (m.ttftOverheadMs !== undefined && m.ttftOverheadMs < 0)) c.overhead.negative++;
    hist.overhead.recordMs(m.overheadMs);
    if (m.ttftOverheadMs !== undefined) hist.ttftOverhead.recordMs(m.ttftOverheadMs);
    if (m.tokenOverheadMs !== undefined) hist.tokenOverhead.recordMs(m.tokenOverheadMs);
  };
  const rec: RunRecorder = {
    record(o) {
      const m = o.metrics;
      c.requests++;
      c.tokens += m.tokens;
      c.chunks += m.chunks;
      hist.sendLag.recordMs(m.sendLagMs);
      if (o.code !== "ok") {
        c.errors[o.code] = (c.errors[o.code] ?? 0) + 1;
      } else {
        c.ok++;
        hist.e2e.recordMs(m.e2eMs);
        if (m.ttftMs !== undefined) hist.ttft.recordMs(m.ttftMs);
        if (m.perTokenMs !== undefined) hist.tpot.recordMs(m.perTokenMs);
        for (const g of m.gapsMs) hist.gap.recordMs(g);
        hist.stall.recordMs(m.longestStallMs);
        recordOverhead(m);
        if (o.consistency) {
          c.consistency.streams++;
          checkConsistency(c.consistency, o.consistency.key, o.consistency.digest, o.consistency.text);
        }
        const good =
          (goodput.ttftMs === undefined || (m.ttftMs !== undefined && m.ttftMs <= goodput.ttftMs)) &&
          (goodput.e2eMs === undefined || m.e2eMs <= goodput.e2eMs) &&
          (goodput.tpotMs === undefined || m.perTokenMs === undefined || m.perTokenMs <= goodput.tpotMs);
        if (good) c.good++;
      }
      if (o.verify) {
        const v = o.verify;
        c.verify.streams++;
        // A failed stream legitimately stops early: only count its tokens as lost when it claimed success.
        if (o.code === "ok") {
          if (!v.ok) c.verify.failedStreams++;
          c.verify.lost += v.lost;
        }
        c.verify.duplicated += v.duplicated;
        c.verify.outOfOrder += v.outOfOrder;
        c.verify.mismatched += v.mismatched;
      }
    },
    counts: () => structuredClone(c),
    histogram: (n) => hist[n],
    merge(other) {
      const o = "toJSON" in other ? other.toJSON() : other;
      c.requests += o.requests;
      c.ok += o.ok;
      c.tokens += o.tokens;
      c.chunks += o.chunks ?? 0;
      c.good += o.good;
      c.overhead.reported += o.overhead?.reported ?? 0;
      c.overhead.negative += o.overhead?.negative ?? 0;
      if (o.consistency) mergeConsistency(c.consistency, o.consistency);
      for (const [k, v] of Object.entries(o.errors)) c.errors[k] = (c.errors[k] ?? 0) + v;
      for (const k of Object.keys(c.verify) as Array<keyof VerifyTotals>) c.verify[k] += o.verify[k];
      // Result files written before a histogram existed simply lack it.
      for (const n of HISTOGRAM_NAMES) if (o.histograms[n]) hist[n].add(decodeLatencyHistogram(o.histograms[n]));
    },
    toJSON() {
      return {
        ...structuredClone(c),
        histograms: Object.fromEntries(HISTOGRAM_NAMES.map((n) => [n, hist[n].encode()])) as Record<
          HistogramName,
          string
        >,
        summaries: Object.fromEntries(HISTOGRAM_NAMES.map((n) => [n, hist[n].summary()])) as Record<
          HistogramName,
          LatencySummary
        >,
      };
    },
  };
  return rec;
}
