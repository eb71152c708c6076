import { describe, expect, it } from "vitest";
import { canonicalJson, configHashOf, runIdentity } from "./run-identity.js";

describe("run identity", () => {
  const cfg = {
    repeats: 3,
    scenarios: [{ name: "s", load: { mode: "closed", concurrency: 48 } }],
    agent: { count: 3 },
  };

  it("hashes the configuration whatever its key order, leaving out how each host generates its share", () => {
    const reordered = {
      agent: { count: 3 },
      scenarios: [{ load: { concurrency: 48, mode: "closed" }, name: "s" }],
      repeats: 3,
    };
    const perHost = { ...cfg, workers: 4, workerMode: "process", clientCpus: "2-5", jsonlPath: "/x", runId: "r" };
    expect(configHashOf(reordered)).toBe(configHashOf(cfg));
    expect(configHashOf(perHost)).toBe(configHashOf(cfg));
    expect(configHashOf({ ...cfg, repeats: 4 })).not.toBe(configHashOf(cfg));
    expect(configHashOf({ ...cfg, agent: { count: 2 } })).not.toBe(configHashOf(cfg));
    expect(configHashOf(cfg)).toMatch(/^[0-9a-f]{16}$/);
  });

  it("names transport plugins by name and skips functions", () => {
    const plugin = { name: "http", create: () => undefined, description: "x" };
    expect(canonicalJson({ transports: [plugin], f: () => 1, n: 1n })).toBe('{"n":"1","transports":["http"]}');
  });

  it("agents of one configuration agree on the run id; lone runs get a fresh one", () => {
    expect(runIdentity(cfg, { agents: true }).id).toBe(runIdentity({ ...cfg, workers: 2 }, { agents: true }).id);
    expect(runIdentity(cfg, {}).id).not.toBe(runIdentity(cfg, {}).id);
    expect(runIdentity(cfg, { runId: "nightly-7" }).id).toBe("nightly-7");
  });
});
