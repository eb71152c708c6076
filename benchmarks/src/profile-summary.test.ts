import { describe, expect, it } from "vitest";
import { type CpuProfile, frameName, groupOf, summarize } from "./profile-summary.js";

const frame = (functionName: string, url: string, lineNumber = 0) => ({ functionName, url, lineNumber });

const profile: CpuProfile = {
  startTime: 0,
  endTime: 1000,
  nodes: [
    { id: 1, callFrame: frame("(root)", "") },
    { id: 2, callFrame: frame("toBinary", "file:///x/node_modules/@bufbuild/protobuf/dist/esm/to-binary.js", 9) },
    { id: 3, callFrame: frame("encodeFrame", "file:///x/packages/mcp-codec/dist/frame.js") },
    { id: 4, callFrame: frame("(garbage collector)", "") },
  ],
  samples: [2, 2, 3, 4, 2],
  timeDeltas: [100, 100, 100, 100, 100],
};

describe("profile summary", () => {
  it("attributes self time per sample and groups frames by module", () => {
    const groups = summarize(profile, groupOf);
    expect(groups.map((g) => [g.name, g.selfMs, g.percent])).toEqual([
      ["protobuf-es", 0.3, 60],
      ["mcp-codec", 0.1, 20],
      ["gc", 0.1, 20],
    ]);
  });

  it("names functions with file and 1-based line", () => {
    expect(summarize(profile, frameName)[0].name).toBe("toBinary esm/to-binary.js:10");
  });

  it("falls back to hit counts when there are no samples", () => {
    const p: CpuProfile = {
      startTime: 0,
      endTime: 4000,
      nodes: [
        { id: 1, callFrame: frame("a", "node:internal/x"), hitCount: 3 },
        { id: 2, callFrame: frame("b", "file:///x/benchmarks/src/y.ts"), hitCount: 1 },
      ],
    };
    expect(summarize(p, groupOf).map((g) => [g.name, g.selfMs])).toEqual([
      ["node/v8 builtins", 3],
      ["benchmarks", 1],
    ]);
  });
});
