import { describe, expect, it } from "vitest";
import { parseAgentFlags, parseStartAt } from "./agent-args.js";

const fail = (m: string): never => {
  throw new Error(m);
};

describe("agent flags", () => {
  it("reads the three together, with the gap and a run id", () => {
    expect(
      parseAgentFlags(
        { agents: "3", "agent-index": "2", "start-at": "2026-12-01T12:00:00Z", "run-id": "nightly-1" },
        500,
        fail,
      ),
    ).toEqual({
      agent: { count: 3, index: 2, startAtMs: Date.UTC(2026, 11, 1, 12), gapMs: 500 },
      runId: "nightly-1",
    });
    expect(parseAgentFlags({}, undefined, fail)).toEqual({});
  });

  it("refuses a partial or out-of-range set", () => {
    expect(() => parseAgentFlags({ agents: "3" }, undefined, fail)).toThrow("missing --agent-index, --start-at");
    expect(() =>
      parseAgentFlags({ agents: "3", "agent-index": "3", "start-at": "0000000000000" }, undefined, fail),
    ).toThrow("--agent-index must be an integer in [0, 2]");
    expect(() => parseAgentFlags({ agents: "0", "agent-index": "0", "start-at": "1" }, undefined, fail)).toThrow(
      "--agents must be an integer in [1, 1024]",
    );
    expect(() => parseAgentFlags({ agents: "2", "agent-index": "1", "start-at": "noon" }, undefined, fail)).toThrow(
      "--start-at must be ISO 8601",
    );
    expect(() => parseAgentFlags({ "run-id": "a b" }, undefined, fail)).toThrow("--run-id must be");
    expect(() => parseAgentFlags({}, 100, fail)).toThrow("--agent-gap needs --agents");
  });

  it("--start-at takes ISO 8601 with a zone or epoch ms", () => {
    expect(parseStartAt("2026-12-01T12:00:00.250+01:00")).toBe(Date.UTC(2026, 11, 1, 11, 0, 0, 250));
    expect(parseStartAt("1764590400000")).toBe(1764590400000);
    expect(parseStartAt("2026-12-01T12:00:00")).toBeUndefined();
    expect(parseStartAt("2026-13-45T99:00:00Z")).toBeUndefined();
  });
});
