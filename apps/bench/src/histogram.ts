import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from "hdr-histogram-js";

/** Highest value a latency histogram tracks: one hour in microseconds (larger values are clamped). */
export const MAX_TRACKABLE_MICROS = 3_600_000_000;

/** The percentile figures every report quotes, in milliseconds. */
export interface LatencySummary {
  /** Values recorded. */
  count: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  /** 99.9th percentile. */
  p999: number;
  max: number;
  min: number;
  mean: number;
  stddev: number;
}

/** Percentiles plotted as a latency percentile curve (HdrHistogram style "nines" axis). */
export const CURVE_PERCENTILES = [0, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 100] as const;

/**
 * A latency histogram with microsecond resolution (3 significant digits, 1 µs to 1 h), recording milliseconds.
 */
export interface LatencyHistogram {
  /** Records a duration in milliseconds (negative values count as 0; values past 1 h are clamped). */
  recordMs(ms: number): void;
  /** Adds every value of another histogram (merge across runs or workers). */
  add(other: LatencyHistogram): void;
  /** Values recorded. */
  readonly count: number;
  /** Millisecond value at a percentile in [0, 100]; 0 when empty. */
  percentileMs(p: number): number;
  /** The standard figures in milliseconds. */
  summary(): LatencySummary;
  /** [percentile, ms] points for a percentile curve. */
  curve(): Array<[number, number]>;
  /** Compressed base64 HdrHistogram encoding (the format other HdrHistogram tools read). */
  encode(): string;
  /** The underlying hdr-histogram-js histogram. */
  readonly raw: Histogram;
}

function newRaw(): Histogram {
  return build({
    bitBucketSize: 32,
    autoResize: false,
    lowestDiscernibleValue: 1,
    highestTrackableValue: MAX_TRACKABLE_MICROS,
    numberOfSignificantValueDigits: 3,
  });
}

class HdrLatencyHistogram implements LatencyHistogram {
  constructor(readonly raw: Histogram) {}
  recordMs(ms: number): void {
    if (!Number.isFinite(ms)) return;
    const us = Math.min(MAX_TRACKABLE_MICROS, Math.max(0, Math.round(ms * 1000)));
    this.raw.recordValue(us);
  }
  add(other: LatencyHistogram): void {
    this.raw.add(other.raw);
  }
  get count(): number {
    return this.raw.totalCount;
  }
  percentileMs(p: number): number {
    if (this.raw.totalCount === 0) return 0;
    return this.raw.getValueAtPercentile(p) / 1000;
  }
  summary(): LatencySummary {
    const h = this.raw;
    if (h.totalCount === 0) {
      return { count: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0, min: 0, mean: 0, stddev: 0 };
    }
    const at = (p: number) => h.getValueAtPercentile(p) / 1000;
    return {
      count: h.totalCount,
      p50: at(50),
      p90: at(90),
      p95: at(95),
      p99: at(99),
      p999: at(99.9),
      max: at(100),
      min: h.minNonZeroValue === Number.MAX_SAFE_INTEGER ? 0 : at(0),
      mean: h.mean / 1000,
      stddev: h.stdDeviation / 1000,
    };
  }
  curve(): Array<[number, number]> {
    return CURVE_PERCENTILES.map((p) => [p, this.percentileMs(p)]);
  }
  encode(): string {
    return encodeIntoCompressedBase64(this.raw);
  }
}

/** Creates an empty latency histogram. */
export function createLatencyHistogram(): LatencyHistogram {
  return new HdrLatencyHistogram(newRaw());
}

/** Decodes a histogram written by {@link LatencyHistogram.encode}. Throws on malformed input. */
export function decodeLatencyHistogram(encoded: string): LatencyHistogram {
  if (typeof encoded !== "string" || encoded.length === 0 || encoded.length > 16 * 1024 * 1024) {
    throw new RangeError("encoded histogram must be a non-empty string under 16 MiB");
  }
  const decoded = decodeFromCompressedBase64(encoded, 32, false);
  // Copy into our fixed-range shape so merged histograms have identical layouts.
  const h = createLatencyHistogram();
  h.raw.add(decoded);
  return h;
}

/** Merges any number of histograms (encoded or live) into a new one. */
export function mergeLatencyHistograms(parts: ReadonlyArray<LatencyHistogram | string>): LatencyHistogram {
  const out = createLatencyHistogram();
  for (const p of parts) out.add(typeof p === "string" ? decodeLatencyHistogram(p) : p);
  return out;
}
