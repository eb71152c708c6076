import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { parseBenchArgs, runBenchCli, UsageError } from "../cli.js";
import { presetScenario } from "../presets.js";
import { createProgress } from "../progress.js";
import type { BenchResult } from "../result.js";
import { runBench } from "../runner.js";
import { ExitCode } from "../slo.js";
import { selectTransports } from "../transports.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe("bench --agents", () => {
  it("parses the agent flags into the configuration", async () => {
    const p = await parseBenchArgs([
      "--agents",
      "3",
      "--agent-index",
      "1",
      "--start-at",
      "2026-12-01T12:00:00Z",
      "--agent-gap",
      "500ms",
      "--concurrency",
      "48",
    ]);
    expect(p.config.agent).toEqual({ count: 3, index: 1, startAtMs: Date.UTC(2026, 11, 1, 12), gapMs: 500 });
    // The configuration keeps the whole load; the runner takes this agent's share of it.
    expect(p.config.scenarios[0].load).toEqual({ mode: "closed", concurrency: 48 });
  });

  it("refuses agents with a sweep, a ladder, or fewer streams than agents", async () => {
    const agents = ["--agents", "4", "--agent-index", "0", "--start-at", "1764590400000"];
    await expect(parseBenchArgs([...agents, "--sweep"])).rejects.toThrow("--agents runs the comparison only");
    await expect(parseBenchArgs([...agents, "--ladder"])).rejects.toThrow(UsageError);
    await expect(parseBenchArgs([...agents, "--concurrency", "3"])).rejects.toThrow(
      "3 streams cannot be shared by --agents 4",
    );
    await expect(parseBenchArgs(["--agents", "2"])).rejects.toThrow("go together");
  });

  it("two agents on a plan from one start merge into one run; without one of them the merge fails", async () => {
    const d = await mkdtemp(join(tmpdir(), "bench-agents-"));
    dirs.push(d);
    const startAtMs = Date.now() + 1500;
    const scenario = presetScenario("protocol-overhead", { durationMs: 400, warmupMs: 100, maxRequests: 100_000 });
    const run = (index: number) =>
      runBench({
        scenarios: [scenario],
        transports: selectTransports("echo"),
        repeats: 2,
        slos: [],
        agent: { count: 2, index, startAtMs, gapMs: 300 },
        progress: createProgress({ quiet: true }),
      });
    const results = await Promise.all([run(0), run(1)]);
    const files: string[] = [];
    for (const [i, r] of results.entries()) {
      expect(r.agent).toMatchObject({ count: 2, index: i, startAtMs });
      expect(r.run?.id).toBe(results[0].run?.id);
      expect(r.run?.configHash).toBe(results[0].run?.configHash);
      const ws = r.scenarios[0].windows;
      expect(r.scenarios[0].scenario.load).toEqual({ mode: "closed", concurrency: 8 });
      // Both windows on the plan: the first at the common start, the second one slot (0.1 + 0.4 + 0.3 s) later.
      expect(ws.map((w) => w.timing?.plannedAtMs)).toEqual([startAtMs, startAtMs + 800]);
      for (const w of ws) expect(w.startedAtMs).toBeGreaterThanOrEqual(w.timing!.plannedAtMs);
      const f = join(d, `agent-${i}.json`);
      await writeFile(f, JSON.stringify(r));
      files.push(f);
    }
    const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      expect(await runBenchCli(["--report-from", ...files, "--out", d, "--quiet"])).toBe(ExitCode.Ok);
      const merged = JSON.parse(await readFile(join(d, "bench.json"), "utf8")) as BenchResult;
      expect(merged.agents?.count).toBe(2);
      expect(merged.scenarios[0].scenario.load).toEqual({ mode: "closed", concurrency: 16 });
      const sum = (i: number) => results.reduce((a, r) => a + r.scenarios[0].windows[i].run.requests, 0);
      expect(merged.scenarios[0].windows.map((w) => w.run.requests)).toEqual([sum(0), sum(1)]);
      expect(merged.agents?.warnings.join(" ")).toContain("Clock skew not measured"); // echo stamps no time
      expect(await readFile(join(d, "bench.md"), "utf8")).toContain("## Agents");
      expect(await runBenchCli(["--report-from", files[1], "--out", d, "--quiet"])).toBe(ExitCode.Usage);
      expect(String(err.mock.calls.at(-1)?.[0])).toContain("missing: agent 0");
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  }, 60_000);
});
