import {
  createLatencyHistogram,
  decodeLatencyHistogram,
  type LatencyHistogram,
  type LatencySummary,
} from "./histogram.js";
import type { StreamOutcome } from "./stream-call.js";

/** The histograms a run keeps, by metric name. */
export const HISTOGRAM_NAMES = ["ttft", "e2e", "gap", "tpot", "stall", "sendLag"] as const;
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

/** The counters of a run (no histograms). */
export interface RunCounts {
  /** Streams finished (ok or failed). */
  requests: number;
  /** Streams that succeeded. */
  ok: number;
  /** Failed streams by code name. */
  errors: Record<string, number>;
  /** Content tokens received. */
  tokens: number;
  /** Successful requests within the goodput bounds. */
  good: number;
  /** Token verification. */
  verify: VerifyTotals;
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
  const c: RunCounts = { requests: 0, ok: 0, errors: {}, tokens: 0, good: 0, verify: emptyVerify() };
  const rec: RunRecorder = {
    record(o) {
      const m = o.metrics;
      c.requests++;
      c.tokens += m.tokens;
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
      c.good += o.good;
      for (const [k, v] of Object.entries(o.errors)) c.errors[k] = (c.errors[k] ?? 0) + v;
      for (const k of Object.keys(c.verify) as Array<keyof VerifyTotals>) c.verify[k] += o.verify[k];
      for (const n of HISTOGRAM_NAMES) hist[n].add(decodeLatencyHistogram(o.histograms[n]));
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
