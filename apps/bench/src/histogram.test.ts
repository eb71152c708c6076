import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  createLatencyHistogram,
  decodeLatencyHistogram,
  type LatencyHistogram,
  mergeLatencyHistograms,
} from "./histogram.js";

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

describe("histogram merge (property)", () => {
  /** Latencies as runs record them: sub-millisecond to minutes, with exact repeats and the clamped extremes. */
  const latency = fc.oneof(
    fc.double({ min: 0, max: 2, noNaN: true }),
    fc.double({ min: 0, max: 120_000, noNaN: true }),
    fc.constantFrom(0, 0.001, 1, 50, 3_600_000, 10 * 3_600_000),
  );
  const values = fc.array(latency, { maxLength: 60 });
  const of = (xs: number[]) => {
    const h = createLatencyHistogram();
    for (const x of xs) h.recordMs(x);
    return h;
  };
  /** Everything a report reads from a histogram. (Each histogram allocates its whole bucket array: runs are few.) */
  const view = (h: LatencyHistogram) => ({ count: h.count, summary: h.summary(), curve: h.curve() });

  it("counts add, and a merge equals recording every value into one histogram", () => {
    fc.assert(
      fc.property(values, values, (a, b) => {
        const merged = mergeLatencyHistograms([of(a), of(b)]);
        expect(merged.count).toBe(a.length + b.length);
        const all = view(of([...a, ...b]));
        const m = view(merged);
        expect(m.count).toBe(all.count);
        expect(m.curve).toEqual(all.curve);
        expect(m.summary.max).toBe(all.summary.max);
        expect(m.summary.mean).toBeCloseTo(all.summary.mean, 6);
      }),
      { numRuns: 40 },
    );
  });

  it("is associative and commutative, for live and encoded histograms alike", () => {
    fc.assert(
      fc.property(values, values, values, (a, b, c) => {
        const [ha, hb, hc] = [of(a), of(b), of(c)];
        const left = mergeLatencyHistograms([mergeLatencyHistograms([ha, hb]), hc]);
        const right = mergeLatencyHistograms([ha.encode(), mergeLatencyHistograms([hb, hc]).encode()]);
        const swapped = mergeLatencyHistograms([hc, hb.encode(), ha]);
        expect(view(right)).toEqual(view(left));
        expect(view(swapped)).toEqual(view(left));
      }),
      { numRuns: 25 },
    );
  });

  it("survives the encoding: decode(encode(h)) reads the same", () => {
    fc.assert(
      fc.property(values, (a) => {
        const h = of(a);
        expect(view(decodeLatencyHistogram(h.encode()))).toEqual(view(h));
      }),
      { numRuns: 40 },
    );
  });
});
