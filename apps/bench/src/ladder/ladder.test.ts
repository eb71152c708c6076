import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GATEWAY_MAIN } from "@modelwire/server";
import { afterEach, describe, expect, it } from "vitest";
import { runBenchCli } from "../cli.js";
import { createProgress } from "../progress.js";
import { selectTransports } from "../transports.js";
import { runLadder } from "./ladder.js";
import { createLadderWork } from "./ladder-work.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe("the ladder", () => {
  it("climbs every rung on each wire on a short run, with verified tokens, cache hits on step 4 and gains", async () => {
    const r = await runLadder({
      transports: selectTransports("http,mcp-tcp,echo"),
      gatewayMain: GATEWAY_MAIN,
      workload: {
        model: "synthetic:latest",
        promptBytes: 32,
        outputTokens: 8,
        repeatShare: 0.5,
        hotPrompts: 4,
        seed: 42,
      },
      ttftMs: 0,
      interTokenMs: 0,
      concurrency: 4,
      stepMs: 250,
      warmupMs: 50,
      maxRequests: 100_000,
      // A count, not only a time: a loaded machine may finish a handful of calls in 250 ms, all misses. In any 80
      // consecutive calls of this workload (any start below 30,000) one of the 4 hot prompts comes 5 times or more,
      // and with 4 calls in flight its 5th starts after one of the first four ended, i.e. was stored: a hit.
      minRequests: 80,
      coldPairs: 2,
      progress: createProgress({ quiet: true }),
    });
    expect(r.exitCode).toBe(0);
    // The echo reference has no cache and no residency: only gateway wires climb.
    expect(r.wires.map((w) => w.transport)).toEqual(["http", "mcp-tcp"]);
    for (const w of r.wires) {
      expect(w.steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5]);
      for (const s of w.steps) {
        expect(s.requests, `${w.transport} step ${s.step}`).toBeGreaterThan(0);
        expect(s.errors + s.verifyFailures, `${w.transport} step ${s.step}: ${s.firstError}`).toBe(0);
        expect(s.throughputRps).toBeGreaterThan(0);
        expect(s.e2eP99Ms).toBeGreaterThanOrEqual(s.e2eP50Ms);
        if (s.step > 1) expect(s.throughputGain).toBeGreaterThan(0);
      }
      const s4 = w.steps[3];
      expect(s4.cacheHits).toBeGreaterThan(0);
      expect(s4.cacheHits).toBeLessThanOrEqual(s4.requests);
      expect(w.steps[4].coldLoadMs).toBeGreaterThanOrEqual(0);
    }
    expect(r.recommendation.some((l) => l.includes("cache"))).toBe(true);
    expect(r.recommendation.some((l) => l.startsWith("http:"))).toBe(true);
  }, 120_000);

  it("repeats the configured share of prompts, the same sequence every time, each wire its own", () => {
    const w = { model: "m", promptBytes: 16, outputTokens: 2, repeatShare: 0.3, hotPrompts: 3, seed: 7 };
    const a = createLadderWork(w, "http");
    const b = createLadderWork(w, "http");
    const prompts = Array.from({ length: 2000 }, (_, i) => a(i).request.prompt);
    expect(Array.from({ length: 2000 }, (_, i) => b(i).request.prompt)).toEqual(prompts);
    const hot = prompts.filter((p) => p?.startsWith("http hot"));
    expect(hot.length / prompts.length).toBeGreaterThan(0.25);
    expect(hot.length / prompts.length).toBeLessThan(0.35);
    expect(new Set(hot).size).toBe(3);
    expect(createLadderWork(w, "mcp-tcp")(0).request.prompt?.startsWith("mcp-tcp")).toBe(true);
    expect(a(5).request.options).toMatchObject({ temperature: 0 });
  });

  it("writes JSON, Markdown and HTML reports and refuses a bad share with exit 2", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ladder-"));
    dirs.push(dir);
    const bad = await runBenchCli(["--ladder", "--repeat-share", "2", "--out", dir, "--quiet"]);
    expect(bad).toBe(2);
    const code = await runBenchCli([
      ...["--ladder", "--transports", "connect-grpc", "--duration", "150ms", "--warmup", "50ms"],
      ...["--concurrency", "2", "--cold-pairs", "1", "--tokens", "4", "--out", dir, "--quiet"],
    ]);
    expect(code).toBe(0);
    const json = JSON.parse(await readFile(join(dir, "ladder.json"), "utf8"));
    expect(json.schema).toBe("modelwire.ladder/v1");
    expect(json.wires[0].steps).toHaveLength(5);
    const md = await readFile(join(dir, "ladder.md"), "utf8");
    expect(md).toContain("## connect-grpc");
    expect(md).toContain("4. N concurrent, response cache on");
    expect(md).toContain("## Recommendation");
    const html = await readFile(join(dir, "ladder.html"), "utf8");
    expect(html).toContain("<table>");
    expect(html).not.toContain("<script");
  }, 120_000);
});
