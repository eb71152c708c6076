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
