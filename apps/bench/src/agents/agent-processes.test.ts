import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GATEWAY_MAIN } from "@modelwire/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeLatencyHistogram } from "../histogram.js";
import type { BenchResult, WindowResult } from "../result.js";
import { type ServerProcess, spawnServerProcess } from "../server-process.js";
import { ExitCode } from "../slo.js";
import { runBenchProcess } from "../test-support/bench-process.js";
import { targetUnsupported } from "../test-support/target-support.js";

/**
 * Agents as separate processes (the bench command, from the sources) against one gateway process on loopback:
 * the merged run must add up to what one process sends at the same total load, and a late or missing agent must
 * be reported.
 */
const skip = existsSync(GATEWAY_MAIN) ? await targetUnsupported() : "the gateway is not built";
if (skip) console.warn(`agent-processes.test.ts skipped: ${skip}`);

let gateway: ServerProcess;
let dir: string;
let http: string;
let admin: string;

beforeAll(async () => {
  if (skip) return;
  dir = await mkdtemp(join(tmpdir(), "bench-agent-procs-"));
  gateway = await spawnServerProcess({
    name: "gateway",
    script: GATEWAY_MAIN,
    args: ["--http-port", "0", "--connect-port", "0", "--mcp-port", "0", "--admin-port", "0", "--tokens", "8"],
  });
  http = gateway.addresses.find((a) => a.protocol === "http")!.url;
  admin = gateway.addresses.find((a) => a.protocol === "admin")!.url;
}, 60_000);
afterAll(async () => {
  await gateway?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A count-bound window: every process stops at its share of the request cap, so totals are exact. */
const LOAD = ["--concurrency", "6", "--requests", "240", "--duration", "30s", "--warmup", "0", "--repeats", "1"];

const bench = (args: string[]) =>
  runBenchProcess(["--target", `http=${http}`, "--admin", admin, ...LOAD, "--quiet", ...args]);
const read = async (d: string) => JSON.parse(await readFile(join(d, "bench.json"), "utf8")) as BenchResult;
const only = (r: BenchResult): WindowResult => {
  expect(r.scenarios).toHaveLength(1);
  expect(r.scenarios[0].windows).toHaveLength(1);
  return r.scenarios[0].windows[0];
};

describe.skipIf(skip !== undefined)("bench agents as separate processes against one gateway", () => {
  it("three agents merged give the totals of one process at the same total load", async () => {
    const one = await bench(["--out", join(dir, "one")]);
    expect(one.code, one.output).toBe(ExitCode.Ok);
    // Ten seconds for three node processes to start on a loaded machine; a later one starts at once, saying so.
    const startAt = String(Date.now() + 10_000);
    const agents = await Promise.all(
      [0, 1, 2].map((i) =>
        bench(["--agents", "3", "--agent-index", String(i), "--start-at", startAt, "--out", join(dir, `a${i}`)]),
      ),
    );
    for (const a of agents) expect(a.code, a.output).toBe(ExitCode.Ok);
    const files = [0, 1, 2].map((i) => join(dir, `a${i}`, "bench.json"));
    const merge = await runBenchProcess(["--report-from", ...files, "--out", join(dir, "merged"), "--quiet"]);
    expect(merge.code, merge.output).toBe(ExitCode.Ok);

    const w1 = only(await read(join(dir, "one")));
    const parts = await Promise.all([0, 1, 2].map(async (i) => only(await read(join(dir, `a${i}`)))));
    const merged = await read(join(dir, "merged"));
    const wm = only(merged);
    // Request counts add up exactly, to the one process's: 240 = 80 + 80 + 80.
    expect(parts.map((p) => p.run.requests)).toEqual([80, 80, 80]);
    expect(wm.run.requests).toBe(240);
    expect(w1.run.requests).toBe(240);
    expect(wm.run.ok).toBe(w1.run.ok);
    expect(wm.run.tokens).toBe(w1.run.tokens);
    // The merged histograms hold every agent's samples: count = sum of counts.
    const count = (w: WindowResult) => decodeLatencyHistogram(w.run.histograms.e2e).count;
    expect(count(wm)).toBe(parts.reduce((a, p) => a + count(p), 0));
    expect(count(wm)).toBe(count(w1));
    // The run's load is the configured one, not an agent's share.
    expect(merged.scenarios[0].scenario.load).toEqual({ mode: "closed", concurrency: 6 });
    expect(merged.agents?.count).toBe(3);
    // Every agent measured its clock through the gateway (the same machine: the skew is within its uncertainty).
    for (const a of merged.agents!.agents) expect(a.clock?.via).toBe("http");
    expect(merged.agents!.clockSkewMs!).toBeLessThanOrEqual(merged.agents!.clockSkewUncertaintyMs! + 5);
    // Median latencies within the noise: the same 6 streams on the same gateway, from one process or three. On a
    // shared 2-core machine the noise is wide, so the bound is a factor of 4 either way.
    const p50 = (w: WindowResult) => w.run.summaries.e2e.p50;
    expect(p50(wm) / p50(w1)).toBeGreaterThan(1 / 4);
    expect(p50(wm) / p50(w1)).toBeLessThan(4);
  }, 240_000);

  it("an agent that starts late is reported as misaligned; a merge without an agent fails naming it", async () => {
    const startAtMs = Date.now() + 8_000;
    const early = bench([
      "--agents",
      "2",
      "--agent-index",
      "0",
      "--start-at",
      String(startAtMs),
      "--out",
      join(dir, "m0"),
    ]);
    // Agent 1 is launched two seconds after the common start (a pod scheduled late): it starts at once, late.
    await new Promise((r) => setTimeout(r, Math.max(0, startAtMs + 2_000 - Date.now())));
    const late = bench([
      "--agents",
      "2",
      "--agent-index",
      "1",
      "--start-at",
      String(startAtMs),
      "--out",
      join(dir, "m1"),
    ]);
    for (const a of await Promise.all([early, late])) expect(a.code, a.output).toBe(ExitCode.Ok);
    const files = [0, 1].map((i) => join(dir, `m${i}`, "bench.json"));
    const merge = await runBenchProcess(["--report-from", ...files, "--out", join(dir, "m"), "--quiet"]);
    expect(merge.code, merge.output).toBe(ExitCode.Ok);
    const merged = await read(join(dir, "m"));
    const late1 = only(await read(join(dir, "m1")));
    expect(late1.timing!.lateMs).toBeGreaterThan(2_000);
    expect(merged.agents!.startMisalignmentMs).toBeGreaterThan(1_500);
    expect(merged.agents!.misaligned).toHaveLength(1);
    expect(merged.agents!.warnings[0]).toMatch(
      /^Start misalignment: in 1 window\(s\) the agents started up to \d+ ms apart/,
    );
    expect(await readFile(join(dir, "m", "bench.md"), "utf8")).toContain("Start misalignment");

    const missing = await runBenchProcess(["--report-from", files[1], "--out", join(dir, "m-missing"), "--quiet"]);
    expect(missing.code).toBe(ExitCode.Usage);
    expect(missing.output).toContain("had 2 agents; missing: agent 0");
    expect(existsSync(join(dir, "m-missing", "bench.json"))).toBe(false);
  }, 240_000);
});
