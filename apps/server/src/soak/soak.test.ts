import { describe, expect, it } from "vitest";
import { formatSoak, rssPlateau, runSoak, type SoakSample, soakFailed } from "./soak.js";

const MiB = 2 ** 20;
const series = (mibs: number[]): SoakSample[] =>
  mibs.map((m, i) => ({ atSeconds: i * 5, rssBytes: m * MiB, fds: 30, tokens: i * 1000 }));

describe("soak verdicts", () => {
  it("RSS plateaus when the last third's peak stays near the middle third's; growth is not a plateau", () => {
    expect(rssPlateau(series([60, 90, 110, 112, 113, 112, 114, 113, 114]))).toBe(true);
    expect(rssPlateau(series([60, 90, 110, 150, 190, 230, 270, 310, 350]))).toBe(false);
    expect(rssPlateau(series([60, 70, 80]))).toBeUndefined();
  });

  it("fails on any lost, duplicated, reordered or mismatched token, a short stream, or a crash; errors alone do not", () => {
    const ok = {
      seconds: 1,
      streams: 3,
      verified: 30,
      lost: 0,
      duplicated: 0,
      outOfOrder: 0,
      mismatched: 0,
      incomplete: 0,
      errors: { unavailable: 1 },
      errorExamples: ["mcp unavailable: connection closed"],
      perWire: { http: 1, connect: 1, mcp: 1 },
      tokensPerWire: { http: 10, connect: 10, mcp: 10 },
      connectionsPerWire: { http: { opened: 1 }, connect: {}, mcp: {} },
      samples: [],
      crashed: false,
      gatewayCpuSeconds: 0,
      clientCpuSeconds: 0,
    };
    expect(soakFailed(ok)).toBe(false);
    for (const k of ["lost", "duplicated", "outOfOrder", "mismatched", "incomplete"] as const) {
      expect(soakFailed({ ...ok, [k]: 1 }), k).toBe(true);
    }
    expect(soakFailed({ ...ok, crashed: true })).toBe(true);
  });

  it("--even: each wire streams its share of the budget (a shared budget lets MCP carry most)", async () => {
    // 1 HTTP, 1 gRPC and 6 MCP streams in flight: with one shared budget MCP would carry about 6/8 of the tokens.
    const perStream = 250;
    const streams = { http: 1, connect: 1, mcp: 6 };
    const r = await runSoak({
      tokens: 12_000,
      seconds: 60,
      streams,
      evenShares: true,
      tokensPerStream: perStream,
      sampleSeconds: 5,
    });
    const text = formatSoak(r);
    expect(soakFailed(r), text).toBe(false);
    for (const k of ["http", "connect", "mcp"] as const) {
      // At least its share; past it only by the streams it had in flight when the share was reached.
      expect(r.tokensPerWire[k], `${k}\n${text}`).toBeGreaterThanOrEqual(4_000);
      expect(r.tokensPerWire[k], `${k}\n${text}`).toBeLessThanOrEqual(4_000 + streams[k] * perStream);
    }
  }, 90_000);
});
