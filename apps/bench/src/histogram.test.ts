import { describe, expect, it } from "vitest";
import { createLatencyHistogram, decodeLatencyHistogram, mergeLatencyHistograms } from "./histogram.js";

describe("latency histogram", () => {
  it("reports percentiles in ms with microsecond resolution", () => {
    const h = createLatencyHistogram();
    for (let i = 1; i <= 1000; i++) h.recordMs(i / 10); // 0.1 .. 100 ms
    const s = h.summary();
    expect(s.count).toBe(1000);
    expect(s.p50).toBeCloseTo(50, 0);
    expect(s.p99).toBeCloseTo(99, 0);
    expect(s.p999).toBeCloseTo(99.9, 0);
    expect(s.max).toBeCloseTo(100, 0);
    expect(s.min).toBeCloseTo(0.1, 2);
    expect(s.mean).toBeCloseTo(50.05, 0);
    expect(s.stddev).toBeGreaterThan(28);
    expect(s.stddev).toBeLessThan(30);
    // sub-millisecond values stay distinct
    const small = createLatencyHistogram();
    small.recordMs(0.012);
    expect(small.percentileMs(100)).toBeCloseTo(0.012, 3);
  });

  it("returns zeros when empty and clamps out-of-range values", () => {
    expect(createLatencyHistogram().summary().p99).toBe(0);
    const h = createLatencyHistogram();
    h.recordMs(-5);
    h.recordMs(10 * 3_600_000);
    h.recordMs(Number.NaN);
    expect(h.count).toBe(2);
    expect(h.summary().max / 3_600_000).toBeCloseTo(1, 2);
  });

  it("round-trips through the encoding and merges runs exactly", () => {
    const a = createLatencyHistogram();
    const b = createLatencyHistogram();
    for (let i = 0; i < 500; i++) a.recordMs(1 + (i % 10));
    for (let i = 0; i < 500; i++) b.recordMs(100 + (i % 10));
    const decoded = decodeLatencyHistogram(a.encode());
    expect(decoded.summary()).toEqual(a.summary());
    const merged = mergeLatencyHistograms([a.encode(), b]);
    expect(merged.count).toBe(1000);
    expect(merged.percentileMs(25)).toBeLessThan(11);
    expect(merged.percentileMs(75)).toBeGreaterThanOrEqual(100);
    expect(merged.summary().max).toBeCloseTo(109, 0);
    expect(merged.summary().mean).toBeCloseTo((a.summary().mean + b.summary().mean) / 2, 1);
  });

  it("rejects a malformed encoding", () => {
    expect(() => decodeLatencyHistogram("")).toThrow();
    expect(() => decodeLatencyHistogram("not-a-histogram!!")).toThrow();
  });
});
