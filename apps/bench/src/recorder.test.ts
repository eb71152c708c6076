import { describe, expect, it } from "vitest";
import { generatorWarning } from "./generator-monitor.js";
import { createRunRecorder } from "./recorder.js";
import type { StreamOutcome } from "./stream-call.js";
import { computeStreamMetrics } from "./stream-metrics.js";

function outcome(seq: number, ttft: number, end: number, code = "ok", verifyOk = true): StreamOutcome {
  const metrics = computeStreamMetrics({
    intendedStart: 0,
    sentAt: 0,
    chunks: [
      { t: ttft, text: "a" },
      { t: ttft + 1, text: "b" },
      { t: end, text: "" },
    ],
    end,
  });
  return {
    seq,
    intendedStart: 0,
    metrics,
    code,
    verify: {
      ok: verifyOk,
      expected: 2,
      received: 2,
      lost: verifyOk ? 0 : 1,
      duplicated: verifyOk ? 0 : 1,
      outOfOrder: 0,
      mismatched: 0,
    },
  };
}

describe("run recorder", () => {
  it("counts goodput against per-request bounds, errors by code, and verification", () => {
    const rec = createRunRecorder({ ttftMs: 10, e2eMs: 50 });
    rec.record(outcome(0, 5, 20)); // good
    rec.record(outcome(1, 15, 20)); // TTFT too slow
    rec.record(outcome(2, 5, 60)); // E2E too slow
    rec.record(outcome(3, 5, 20, "unavailable")); // failed: not good, no latency
    rec.record(outcome(4, 5, 20, "ok", false)); // good timing, bad tokens
    const c = rec.counts();
    expect(c).toMatchObject({ requests: 5, ok: 4, good: 2, errors: { unavailable: 1 }, tokens: 10 });
    expect(c.verify).toEqual({ streams: 5, failedStreams: 1, lost: 1, duplicated: 1, outOfOrder: 0, mismatched: 0 });
    expect(rec.histogram("ttft").count).toBe(4);
    expect(rec.histogram("gap").count).toBe(4);
  });

  it("merges a serialized recorder exactly", () => {
    const a = createRunRecorder();
    const b = createRunRecorder();
    for (let i = 0; i < 10; i++) a.record(outcome(i, 1 + i, 30));
    for (let i = 0; i < 5; i++) b.record(outcome(i, 100, 130, i === 0 ? "canceled" : "ok"));
    const m = createRunRecorder();
    m.merge(JSON.parse(JSON.stringify(a.toJSON())));
    m.merge(b);
    expect(m.counts()).toMatchObject({ requests: 15, ok: 14, errors: { canceled: 1 } });
    expect(m.histogram("ttft").count).toBe(14);
    expect(m.histogram("ttft").summary().max).toBeCloseTo(100, 0);
  });
});

describe("generator self-check", () => {
  const calm = { cpuMicros: 1e5, cpuUtilization: 0.3, eventLoopLagP99Ms: 2, eventLoopLagMaxMs: 5, wallMs: 1000 };
  it("stays quiet when the generator keeps up", () => {
    expect(generatorWarning(calm)).toBeUndefined();
    expect(generatorWarning(calm, { offeredRps: 1000, achievedRps: 990, sendLagP99Ms: 1 })).toBeUndefined();
  });
  it("says in plain words when the generator is the bottleneck", () => {
    expect(generatorWarning({ ...calm, cpuUtilization: 0.97 })).toMatch(/bottleneck: it used 97% of a core/);
    expect(generatorWarning({ ...calm, eventLoopLagP99Ms: 80 })).toMatch(/event loop lagged 80\.0 ms/);
    expect(generatorWarning(calm, { offeredRps: 1000, achievedRps: 600, sendLagP99Ms: 40 })).toMatch(
      /sent late .* achieved 600 of 1000/,
    );
  });
});
