import { describe, expect, it } from "vitest";
import type { ScenarioResult, WindowResult } from "../result.js";
import { vsDirectMarkdown, vsDirectRows, vsDirectVerdict } from "./vs-direct.js";

/** A hand-made window: only what the Δ table reads (latency summaries, overhead, the server's cost). */
function win(transport: string, round: number, ms: { ttft: number; e2e: number; overhead?: number; cpu?: number }) {
  const lat = (p50: number) => ({
    count: 10,
    min: p50,
    mean: p50,
    p50,
    p90: p50,
    p99: p50 * 2,
    p999: p50 * 2,
    max: p50 * 2,
  });
  return {
    transport,
    round,
    order: 0,
    rps: 10,
    tokensPerSec: 100,
    errorRate: 0,
    goodputRatio: 1,
    run: {
      requests: 10,
      ok: 10,
      tokens: 100,
      chunks: 100,
      summaries: {
        ttft: lat(ms.ttft),
        e2e: lat(ms.e2e),
        ...(ms.overhead !== undefined ? { overhead: lat(ms.overhead) } : {}),
      },
    },
    cost: {
      serverCpuPerRequestUs: ms.cpu ?? Number.NaN,
      serverCpuPerTokenUs: (ms.cpu ?? Number.NaN) / 10,
      serverMeasured: ms.cpu !== undefined,
    },
  } as unknown as WindowResult;
}

function scenario(windows: WindowResult[]): ScenarioResult {
  const transports = [...new Set(windows.map((w) => w.transport))];
  return {
    scenario: { name: "s", description: "d" },
    windows,
    summaries: transports.map((transport) => ({ transport })),
  } as unknown as ScenarioResult;
}

describe("the gateway against the direct path", () => {
  it("takes each Δ round by round, against direct's window of the same round", () => {
    // Rounds are rotated: the windows do not come in round order, and the pairing must not depend on it.
    const sr = scenario([
      win("direct", 1, { ttft: 10, e2e: 50, overhead: 0.2 }),
      win("mcp-tcp", 1, { ttft: 13, e2e: 52, overhead: 0.5, cpu: 800 }),
      win("mcp-tcp", 2, { ttft: 18, e2e: 61, overhead: 0.6, cpu: 900 }),
      win("direct", 2, { ttft: 12, e2e: 60, overhead: 0.3 }),
      win("direct", 3, { ttft: 11, e2e: 55, overhead: 0.25 }),
      win("mcp-tcp", 3, { ttft: 15, e2e: 59, overhead: 0.45, cpu: 1000 }),
    ]);
    const [row] = vsDirectRows(sr);
    expect(row.transport).toBe("mcp-tcp");
    expect(row.rounds).toBe(3);
    // Δ TTFT p50: 3, 6, 4 → median 4 (3–6); Δ TTFT p99 doubles.
    expect(row.ttftP50).toMatchObject({ median: 4, min: 3, max: 6 });
    expect(row.ttftP99).toMatchObject({ median: 8, min: 6, max: 12 });
    expect(row.e2eP50).toMatchObject({ median: 2, min: 1, max: 4 });
    // Δ overhead p50 in µs: 300, 300, 200.
    expect(row.overheadP50Us.median).toBeCloseTo(300, 6);
    expect(row.overheadP50Us.min).toBeCloseTo(200, 6);
    expect(row.gatewayCpuPerRequestUs).toMatchObject({ median: 900, min: 800, max: 1000 });
    expect(row.gatewayCpuPerTokenUs.median).toBe(90);
    const md = vsDirectMarkdown(sr).join("\n");
    expect(md).toContain("| mcp-tcp | +4.00 (3.00–6.00) | +8.00 (6.00–12.0) | +2.00 (1.00–4.00) |");
    expect(md).toContain("| 900 (800–1,000) | 90.0 (80.0–100.0) |");
    expect(vsDirectVerdict(sr)).toBe(
      "against the direct path: the cheapest gateway hop is mcp-tcp (Δ TTFT p50 +4.00 ms, Δ E2E p50 +2.00 ms, Δ E2E p99 +4.00 ms, gateway CPU 90.0 µs/token)",
    );
  });

  it("a wire faster than direct gets a negative Δ, an unreadable gateway says so", () => {
    const sr = scenario([win("direct", 1, { ttft: 10, e2e: 50 }), win("http", 1, { ttft: 9, e2e: 50 })]);
    const [row] = vsDirectRows(sr);
    expect(row.ttftP50.median).toBe(-1);
    expect(row.overheadP50Us.median).toBeNaN(); // neither reported durations: no value, never 0
    expect(row.gatewayMeasured).toBe(false);
    expect(vsDirectMarkdown(sr)[2]).toBe("| http | -1.00 | -2.00 | 0.000 | 0.000 | – | not measured | not measured |");
  });

  it("has nothing to say without direct", () => {
    const sr = scenario([win("http", 1, { ttft: 9, e2e: 50, cpu: 10 })]);
    expect(vsDirectRows(sr)).toEqual([]);
    expect(vsDirectMarkdown(sr)).toEqual([]);
    expect(vsDirectVerdict(sr)).toBeUndefined();
  });
});
