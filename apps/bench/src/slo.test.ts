import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { LatencySummary } from "./histogram.js";
import { evaluateSlos, goodputBoundsFromSlos, parseSlos, SloParseError } from "./slo.js";

const lat = (p99: number): LatencySummary => ({
  count: 10,
  p50: p99 / 2,
  p90: p99,
  p95: p99,
  p99,
  p999: p99,
  max: p99,
  min: 0,
  mean: p99 / 2,
  stddev: 1,
});

describe("SLO parsing", () => {
  it("parses latency and rate clauses with units", () => {
    const s = parseSlos("ttft_p99<50ms, error_rate<0.1%,e2e_p999<=2s,gap_max<500us,rps>=100,tpot<20");
    expect(s.map((x) => [x.metric, x.stat, x.op, x.value])).toEqual([
      ["ttft", "p99", "<", 50],
      ["error_rate", undefined, "<", 0.001],
      ["e2e", "p999", "<=", 2000],
      ["gap", "max", "<", 0.5],
      ["rps", undefined, ">=", 100],
      ["tpot", "p99", "<", 20],
    ]);
  });

  it("rejects malformed clauses with a message naming them", () => {
    for (const bad of [
      "ttft_p99",
      "latency_p99<5ms",
      "error_rate_p99<1%",
      "ttft_p99<5%",
      "error_rate<150%",
      "x".repeat(5000),
    ]) {
      expect(() => parseSlos(bad)).toThrow(SloParseError);
    }
    expect(() => parseSlos("bogus<1")).toThrow(/bogus/);
  });

  it("evaluates breaches against measured figures", () => {
    const slos = parseSlos("ttft_p99<50ms,error_rate<1%,rps>100");
    const r = evaluateSlos(slos, {
      latency: { ttft: lat(60) },
      errorRate: 0.001,
      rps: 150,
      tokensPerSec: 0,
      goodputRatio: 1,
    });
    expect(r.map((x) => x.ok)).toEqual([false, true, true]);
    expect(r[0].actual).toBe(60);
    // a missing metric counts as a breach, never a silent pass
    expect(
      evaluateSlos(parseSlos("stall_p99<1s"), {
        latency: {},
        errorRate: 0,
        rps: 0,
        tokensPerSec: 0,
        goodputRatio: 1,
      })[0].ok,
    ).toBe(false);
  });

  it("derives per-request goodput bounds from upper latency bounds", () => {
    expect(goodputBoundsFromSlos(parseSlos("ttft_p99<50ms,ttft_p50<20ms,e2e_p99<1s,rps>5"))).toEqual({
      ttftMs: 20,
      e2eMs: 1000,
    });
  });
});

describe("SLO parsing (property)", () => {
  const LATENCIES = ["ttft", "e2e", "gap", "tpot", "stall"] as const;
  const OPS = ["<", "<=", ">", ">="] as const;
  /** A decimal as the grammar writes it: digits, optionally a point and more digits (or ".5"). */
  const decimal = fc
    .tuple(fc.nat({ max: 100_000 }), fc.option(fc.nat({ max: 999 }), { nil: undefined }), fc.boolean())
    .map(([w, f, bare]) => (f === undefined ? `${w}` : bare && w === 0 ? `.${f}` : `${w}.${f}`));
  const space = fc.constantFrom("", " ", "  ");

  /** A clause with the value it must parse to. */
  const latencyClause = fc
    .record({
      metric: fc.constantFrom(...LATENCIES),
      stat: fc.constantFrom(undefined, "p50", "p90", "p95", "p99", "p999", "p99.9", "max", "mean"),
      op: fc.constantFrom(...OPS),
      num: decimal,
      unit: fc.constantFrom("", "ms", "s", "us", "µs"),
      sp: space,
    })
    .map((c) => {
      const n = Number(c.num);
      return {
        text: `${c.metric}${c.stat ? `_${c.stat}` : ""}${c.sp}${c.op}${c.sp}${c.num}${c.unit}`,
        want: {
          metric: c.metric,
          stat: c.stat === undefined ? "p99" : c.stat === "p99.9" ? "p999" : c.stat,
          op: c.op,
          value: c.unit === "s" ? n * 1000 : c.unit === "us" || c.unit === "µs" ? n / 1000 : n,
        },
      };
    });
  const rateClause = fc
    .record({
      metric: fc.constantFrom("error_rate", "goodput"),
      op: fc.constantFrom(...OPS),
      pct: fc.integer({ min: 0, max: 10_000 }),
      percent: fc.boolean(),
    })
    .map((c) => {
      const num = c.percent ? `${c.pct / 100}` : `${c.pct / 10_000}`;
      const text = `${c.metric}${c.op}${num}${c.percent ? "%" : ""}`;
      return { text, want: { metric: c.metric, op: c.op, value: c.percent ? Number(num) / 100 : Number(num) } };
    });
  const throughputClause = fc
    .record({ metric: fc.constantFrom("rps", "tokens_per_s"), op: fc.constantFrom(...OPS), num: decimal })
    .map((c) => ({
      text: `${c.metric}${c.op}${c.num}`,
      want: { metric: c.metric, op: c.op, value: Number(c.num) },
    }));
  const clause = fc.oneof(latencyClause, rateClause, throughputClause);

  it("reads every clause of a comma-separated list, in order, with its unit applied and its text kept", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(clause, space, space), { minLength: 1, maxLength: 6 }), (parts) => {
        const text = parts.map(([c, a, b]) => `${a}${c.text}${b}`).join(",");
        const slos = parseSlos(text);
        expect(slos).toHaveLength(parts.length);
        for (const [i, [c]] of parts.entries()) {
          expect(slos[i]).toMatchObject(c.want);
          expect(slos[i].value).toBeCloseTo(c.want.value, 9);
          expect(slos[i].source).toBe(c.text);
          // The source parses back to the same SLO: reports can quote it and a merge can re-read it.
          expect(parseSlos(slos[i].source)).toEqual([slos[i]]);
        }
      }),
    );
  });

  it("any text either parses or throws SloParseError (never another error)", () => {
    const alphabet = fc.constantFrom(..."ttft_p99e2erate<>=.,%ms0123456789 µ-".split(""));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 60 }), fc.string({ unit: alphabet, maxLength: 40 })), (t) => {
        try {
          for (const slo of parseSlos(t)) expect(Number.isFinite(slo.value)).toBe(true);
        } catch (e) {
          expect(e).toBeInstanceOf(SloParseError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("a bound and its opposite never both hold, and exactly one holds for a finite figure", () => {
    const opposite = { "<": ">=", "<=": ">", ">": "<=", ">=": "<" } as const;
    fc.assert(
      fc.property(
        fc.constantFrom(...OPS),
        fc.double({ min: 0, max: 1e4, noNaN: true }),
        fc.double({ min: 0, max: 1e4, noNaN: true }),
        (op, bound, actual) => {
          const subject = { latency: { ttft: lat(actual) }, errorRate: 0, rps: 0, tokensPerSec: 0, goodputRatio: 1 };
          const a = evaluateSlos(parseSlos(`ttft_p99${op}${bound.toFixed(3)}`), subject)[0];
          const b = evaluateSlos(parseSlos(`ttft_p99${opposite[op]}${bound.toFixed(3)}`), subject)[0];
          expect(a.ok !== b.ok).toBe(true);
          expect(a.actual).toBe(actual);
        },
      ),
    );
  });
});
