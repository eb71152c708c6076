import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decodeLatencyHistogram } from "../histogram.js";
import { createRunRecorder } from "../recorder.js";
import type { BenchResult, WindowResult } from "../result.js";
import type { StreamOutcome } from "../stream-call.js";
import { computeStreamMetrics } from "../stream-metrics.js";
import { AgentMergeError, checkAgentFiles, mergeAgentResults, type NamedResult } from "./agent-merge.js";
import { shareScenario } from "./agent-share.js";

const FIXTURE = JSON.parse(
  readFileSync(new URL("../test-support/fixtures/recorded-result.json", import.meta.url), "utf8"),
) as BenchResult;

function outcome(seq: number, ttft: number): StreamOutcome {
  const metrics = computeStreamMetrics({
    intendedStart: 0,
    sentAt: 0,
    chunks: [
      { t: ttft, text: "a" },
      { t: ttft + 1, text: "" },
    ],
    end: ttft + 1,
  });
  return { seq, intendedStart: 0, metrics, code: "ok" };
}

interface AgentOpts {
  index: number;
  count?: number;
  runId?: string;
  configHash?: string;
  /** Requests per window, and their TTFT in ms. */
  requests?: number;
  ttftMs?: number;
  startSkewMs?: number;
  clockOffsetMs?: number;
  warning?: string;
}

const START = 1_764_590_400_000;

/** One agent's result: the fixture's layout (two transports, one round), with made-up windows. */
function agentResult(o: AgentOpts): NamedResult {
  const count = o.count ?? 3;
  const base = structuredClone(FIXTURE);
  const sr = base.scenarios[0];
  const scenario = shareScenario(sr.scenario, { count, index: o.index });
  const windows: WindowResult[] = sr.windows.slice(0, 2).map((w, k) => {
    const rec = createRunRecorder();
    const n = o.requests ?? 100;
    for (let i = 0; i < n; i++) rec.record(outcome(i, o.ttftMs ?? 2));
    const run = rec.toJSON();
    return {
      ...w,
      run,
      rps: n,
      tokensPerSec: run.tokens,
      load: { ...w.load, completed: n, sent: n, scheduled: n, elapsedMs: 1000, achievedRps: n, offeredRps: n },
      startedAtMs: START + k * 5000 + (o.startSkewMs ?? 0) - (o.clockOffsetMs ?? 0),
      timing: { plannedAtMs: START + k * 5000 - 300, lateMs: 0, offsetMs: 0 },
      ...(o.warning ? { warning: o.warning } : { warning: undefined }),
    };
  });
  const result: BenchResult = {
    ...base,
    run: { id: o.runId ?? "run-a", configHash: o.configHash ?? "0123456789abcdef" },
    agent: {
      count,
      index: o.index,
      startAt: new Date(START).toISOString(),
      startAtMs: START,
      gapMs: 1000,
      host: `host-${o.index}`,
      pid: 100 + o.index,
      clock: { offsetMs: o.clockOffsetMs ?? 0, uncertaintyMs: 0.5, samples: 7, via: "http" },
    },
    scenarios: [{ scenario, windows, summaries: [] }],
  };
  return { path: `agent-${o.index}.json`, result };
}

describe("merging the agents of one run", () => {
  it("adds counts exactly, merges histograms (count = sum) and sums rates", () => {
    const files = [
      agentResult({ index: 0, requests: 100, ttftMs: 2 }),
      agentResult({ index: 1, requests: 150, ttftMs: 2 }),
      agentResult({ index: 2, requests: 70, ttftMs: 2 }),
    ];
    const merged = mergeAgentResults(files);
    const sr = merged.scenarios[0];
    expect(sr.windows).toHaveLength(2);
    for (const w of sr.windows) {
      expect(w.run.requests).toBe(320);
      expect(w.load.completed).toBe(320);
      expect(decodeLatencyHistogram(w.run.histograms.ttft).count).toBe(320);
      expect(w.rps).toBe(320);
      expect(w.agents?.map((a) => a.requests)).toEqual([100, 150, 70]);
    }
    expect(sr.summaries.map((s) => s.merged.requests)).toEqual([320, 320]);
    // The run's load is the agents' shares added: the configured 16 streams.
    expect(sr.scenario.load).toEqual(FIXTURE.scenarios[0].scenario.load);
    expect(sr.scenario.workload.share).toBeUndefined();
    expect(merged.agent).toBeUndefined();
    expect(merged.agents).toMatchObject({ runId: "run-a", count: 3, clockSkewMs: 0, startMisalignmentMs: 0 });
    expect(merged.recommendation[0]).toMatch(/^Merged 3 agents of run run-a/);
  });

  it("a missing agent is an error naming it, not a smaller run", () => {
    const files = [agentResult({ index: 0 }), agentResult({ index: 2 })];
    expect(() => mergeAgentResults(files)).toThrow(AgentMergeError);
    expect(() => mergeAgentResults(files)).toThrow("run run-a had 3 agents; missing: agent 1");
    expect(() => mergeAgentResults([agentResult({ index: 1 })])).toThrow("missing: agent 0, agent 2");
  });

  it("refuses agents of another run, another configuration, twice the same agent, or a whole run", () => {
    const a = agentResult({ index: 0 });
    expect(() => checkAgentFiles([a, agentResult({ index: 1, runId: "run-b" }), agentResult({ index: 2 })])).toThrow(
      "agents of different runs: agent-0.json is run run-a, agent-1.json is run run-b",
    );
    expect(() =>
      checkAgentFiles([a, agentResult({ index: 1, configHash: "ffffffffffffffff" }), agentResult({ index: 2 })]),
    ).toThrow("ran different configurations");
    expect(() => checkAgentFiles([a, { ...agentResult({ index: 0 }), path: "again.json" }])).toThrow(
      "agent 0 given twice: agent-0.json and again.json",
    );
    expect(() => checkAgentFiles([a, { path: "whole.json", result: FIXTURE }])).toThrow(
      "whole.json: not an agent result",
    );
    expect(() => checkAgentFiles([a, agentResult({ index: 1, count: 2 })])).toThrow("one of 2 agents");
  });

  it("refuses agents that measured different windows", () => {
    const b = agentResult({ index: 1 });
    b.result.scenarios[0].windows.pop();
    expect(() => checkAgentFiles([agentResult({ index: 0 }), b, agentResult({ index: 2 })])).toThrow(
      "agent 1 (agent-1.json) measured other windows than agent 0",
    );
  });

  it("reports start misalignment on the server's clock, and clock skew, and does not blame skew alone", () => {
    // Agent 1's clock runs 40 ms behind; it started on time (server clock). Agent 2 started 80 ms late.
    const files = [
      agentResult({ index: 0 }),
      agentResult({ index: 1, clockOffsetMs: 40 }),
      agentResult({ index: 2, startSkewMs: 80 }),
    ];
    const a = mergeAgentResults(files).agents!;
    expect(a.clockSkewMs).toBe(40);
    expect(a.clockSkewUncertaintyMs).toBe(1);
    expect(a.startMisalignmentOn).toBe("server clock");
    expect(a.startMisalignmentMs).toBe(80);
    expect(a.misalignmentLimitMs).toBe(10);
    expect(a.misaligned.map((m) => m.spreadMs)).toEqual([80, 80]);
    expect(a.warnings.join(" ")).toContain("agents started up to 80 ms apart");
    const aligned = mergeAgentResults([files[0], files[1], agentResult({ index: 2 })]).agents!;
    expect(aligned.misaligned).toEqual([]);
  });

  it("names the generator-bound agent in the window and the run", () => {
    const merged = mergeAgentResults([
      agentResult({ index: 0 }),
      agentResult({ index: 1, warning: "The load generator was the bottleneck: it used 97% of a core." }),
      agentResult({ index: 2 }),
    ]);
    expect(merged.agents?.generatorBound).toEqual([1]);
    expect(merged.scenarios[0].windows[0].warning).toMatch(/^agent 1 of 3 generator-bound: agent 1: The load/);
    expect(merged.generatorWarnings.length).toBeGreaterThan(0);
    expect(merged.agents?.warnings.join(" ")).toContain("Agent 1 (host-1) was generator-bound in 2 of 2 windows");
  });
});
