import { describe, expect, it } from "vitest";
import { readyOf, targetProblems } from "./installed-cli.mjs";

describe("readyOf", () => {
  it("reads the gateway's ready line and nothing else", () => {
    const line = JSON.stringify({ event: "ready", pid: 1, startupMs: 80, addresses: [{ protocol: "http", url: "u" }] });
    expect(readyOf(line)?.startupMs).toBe(80);
    expect(readyOf('{"event":"draining"}')).toBeUndefined();
    expect(readyOf('{"event":"ready"}')).toBeUndefined();
    expect(readyOf("modelwire: ready in 80 ms")).toBeUndefined();
    expect(readyOf("")).toBeUndefined();
  });
});

describe("targetProblems", () => {
  const url = "http://127.0.0.1:4000";
  const report = (address, requests, ok) => ({
    targets: [{ transport: "http", address }],
    scenarios: [{ windows: [{ transport: "http", run: { requests, ok } }] }],
  });
  it("accepts a report against the served gateway that the gateway counted", () => {
    expect(targetProblems(report(url, 90, 90), url, { engine: { requests: 120 } })).toEqual([]);
  });
  it("names a report against another server, no requests, failed requests, or requests the gateway never saw", () => {
    expect(targetProblems(report("http://127.0.0.1:5000", 90, 90), url, { engine: { requests: 120 } })[0]).toMatch(
      /not the served gateway/,
    );
    expect(targetProblems(report(url, 0, 0), url, { engine: { requests: 0 } })[0]).toMatch(/no completed http request/);
    expect(targetProblems(report(url, 90, 80), url, { engine: { requests: 120 } })[0]).toMatch(/10 of 90/);
    expect(targetProblems(report(url, 90, 90), url, { engine: { requests: 3 } })[0]).toMatch(/counted 3/);
    expect(targetProblems({}, url, {})).toHaveLength(3);
  });
});
