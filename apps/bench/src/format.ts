/** Formats a number for tables: fixed decimals scaled to its size; "–" for NaN. */
export function fmt(v: number, digits?: number): string {
  if (!Number.isFinite(v)) return "–";
  const a = Math.abs(v);
  const d = digits ?? (a >= 1000 ? 0 : a >= 100 ? 1 : a >= 10 ? 1 : a >= 1 ? 2 : 3);
  return v.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
}

/** Formats bytes as B / KiB / MiB. */
export function fmtBytes(v: number): string {
  if (!Number.isFinite(v)) return "–";
  if (v >= 1024 * 1024) return `${(v / 1024 / 1024).toFixed(1)} MiB`;
  if (v >= 10 * 1024) return `${(v / 1024).toFixed(1)} KiB`;
  return `${v.toFixed(0)} B`;
}

/** `median (min–max)` or just the median for one round. */
export function fmtSpread(s: { median: number; min: number; max: number; values: number[] }, digits?: number): string {
  if (s.values.length <= 1 || !Number.isFinite(s.min)) return fmt(s.median, digits);
  return `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;
}
