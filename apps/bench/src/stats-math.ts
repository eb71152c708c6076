import type { Spread } from "./result.js";

/** Median of numbers (mean of the middle two for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median, min, max of a figure over rounds. */
export function spreadOf(values: readonly number[]): Spread {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, values: [...values] };
  return { median: median(finite), min: Math.min(...finite), max: Math.max(...finite), values: [...values] };
}

/** Relative spread (max − min) / median; 0 for a single value. */
export function relativeSpread(s: Spread): number {
  if (!Number.isFinite(s.median) || s.median === 0) return 0;
  return (s.max - s.min) / Math.abs(s.median);
}

/** Below this relative difference two medians are called equal whatever the spread. */
export const NOISE_FLOOR = 0.05;

/**
 * True when two spreads cannot be told apart: their [min, max] ranges overlap, or their medians differ by less
 * than {@link NOISE_FLOOR}.
 */
export function withinNoise(a: Spread, b: Spread): boolean {
  if (!Number.isFinite(a.median) || !Number.isFinite(b.median)) return true;
  const denom = Math.max(Math.abs(a.median), Math.abs(b.median), 1e-12);
  if (Math.abs(a.median - b.median) / denom < NOISE_FLOOR) return true;
  return a.min <= b.max && b.min <= a.max;
}
