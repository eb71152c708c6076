import { describe, expect, it } from "vitest";
import type { ScenarioResult, WindowResult } from "../result.js";
import type { ProcessStats } from "../server-process.js";
import { spreadBetween, spreadCells, spreadMarkdown, spreadRows } from "./upstream-spread.js";
import { vsDirectMarkdown, vsDirectRows } from "./vs-direct.js";

const stats = (ups: Array<[string, number, number]>): ProcessStats =>
  ({
    pid: 1,
    cpu: { userMicros: 0, systemMicros: 0 },
    rssBytes: 0,
    maxRssBytes: 0,
    servers: {},
    fleet: { upstreams: ups.map(([url, requests, started]) => ({ url, requests, started })) },
  }) as ProcessStats;

function win(transport: string, round: number, ttft: number, upstreams?: WindowResult["upstreams"]): WindowResult {
  const lat = (p50: number) => ({ count: 10, min: p50, mean: p50, p50, p90: p50, p99: p50, p999: p50, max: p50 });
  return {
    transport,
    round,
    order: 0,
    run: { requests: 10, ok: 10, tokens: 100, chunks: 100, summaries: { ttft: lat(ttft), e2e: lat(ttft * 4) } },
    cost: { serverCpuPerRequestUs: 100, serverCpuPerTokenUs: 10, serverMeasured: true },
    ...(upstreams ? { upstreams } : {}),
  } as unknown as WindowResult;
}

const scenario = (windows: WindowResult[]) =>
  ({
    scenario: { name: "s", description: "d" },
    windows,
    summaries: [...new Set(windows.map((w) => w.transport))].map((transport) => ({ transport })),
  }) as unknown as ScenarioResult;

describe("the spread over a fleet's upstreams", () => {
  it("is the difference of the gateway's counters over the window; a reset counter counts from zero", () => {
    const before = stats([
      ["http://a:1", 10, 9],
      ["http://b:2", 50, 50],
    ]);
    const after = stats([
      ["http://a:1", 16, 14],
      ["http://b:2", 4, 4],
    ]);
    expect(spreadBetween(before, after)).toEqual([
      { url: "http://a:1", calls: 5, attempts: 6 },
      { url: "http://b:2", calls: 4, attempts: 4 },
    ]);
    const { fleet: _, ...plain } = before;
    expect(spreadBetween(plain as ProcessStats, after)).toBeUndefined();
  });

  it("sums each wire's calls per upstream over the rounds, with shares and the attempts moved", () => {
    const sr = scenario([
      win("http", 1, 10, [
        { url: "http://a:1", calls: 6, attempts: 7 },
        { url: "http://b:2", calls: 2, attempts: 2 },
      ]),
      win("http", 2, 10, [
        { url: "http://a:1", calls: 6, attempts: 6 },
        { url: "http://b:2", calls: 2, attempts: 2 },
      ]),
      win("direct-1", 1, 5),
    ]);
    const [row, ...rest] = spreadRows(sr);
    expect(rest).toEqual([]);
    expect(spreadCells(row)).toEqual(["http", "12 (75.0 %)", "4 (25.0 %)", "1"]);
    const md = spreadMarkdown(sr).join("\n");
    expect(md).toContain("| transport | upstream 1 (http://a:1) | upstream 2 (http://b:2) | moved |");
    expect(md).toContain("| http | 12 (75.0 %) | 4 (25.0 %) | 1 |");
    expect(spreadMarkdown(scenario([win("http", 1, 10)]))).toEqual([]);
  });

  it("compares every wire through the fleet with each upstream straight, round by round", () => {
    const sr = scenario([
      win("direct-1", 1, 10),
      win("direct-2", 1, 30),
      win("http", 1, 12),
      win("direct-1", 2, 10),
      win("direct-2", 2, 34),
      win("http", 2, 14),
    ]);
    const rows = vsDirectRows(sr);
    expect(rows.map((r) => r.transport)).toEqual(["http vs direct-1", "http vs direct-2"]);
    expect(rows[0].ttftP50.values).toEqual([2, 4]);
    expect(rows[1].ttftP50.values).toEqual([-18, -20]);
    expect(vsDirectMarkdown(sr).join("\n")).toContain("| http vs direct-2 | -19.0");
  });
});
