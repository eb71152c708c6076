import { describe, expect, it } from "vitest";
import { rssPlateau, type SoakSample, soakFailed } from "./soak.js";

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
});
