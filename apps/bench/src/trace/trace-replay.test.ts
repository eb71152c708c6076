import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openSchedule } from "../arrivals.js";
import { parseBenchArgs } from "../cli.js";
import { runClosedLoop, runOpenLoop } from "../load.js";
import type { BenchResult } from "../result.js";
import { ExitCode } from "../slo.js";
import type { GenerateWork, StreamOutcome } from "../stream-call.js";
import { createFakeClient, fakeTokens } from "../test-support/fake-client.js";
import { runCli } from "../test-support/run-cli.js";
import { createWorkSource, DEFAULT_WORKLOAD } from "../workload.js";
import { parseTrace } from "./trace-file.js";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "bench-trace-"));
  dirs.push(d);
  return d;
}

describe("trace replay", () => {
  it("sends each line at its offset over the speed, with its lengths, timed from the intended time", async () => {
    const trace = parseTrace(
      [0, 4, 4, 30, 62]
        .map((o, i) => JSON.stringify({ offset_ms: o, prompt_tokens: 3 + i, max_tokens: 2 + i }))
        .join("\n"),
      "t.jsonl",
    );
    const workload = { ...DEFAULT_WORKLOAD, trace };
    const load = { mode: "open" as const, arrival: "trace" as const, ratePerSec: 80, traceSpeed: 2 };
    const work = createWorkSource(workload);
    const client = createFakeClient({ tokens: 4, delayMs: 1 });
    const seen: StreamOutcome[] = [];
    const stats = await runOpenLoop({
      client,
      work: (seq) => {
        const item = work(seq);
        // The fake client streams 4 tokens whatever is asked: expect those, keep the request's own length apart.
        return { ...item, expected: fakeTokens(4) } as typeof item;
      },
      ...openSchedule(load, workload),
      durationMs: 10_000,
      maxRequests: 100,
      onOutcome: (o) => seen.push(o),
    });
    expect(stats.scheduled).toBe(5);
    expect(stats.completed).toBe(5);
    const bySeq = seen.sort((a, b) => a.seq - b.seq);
    const t0 = bySeq[0].intendedStart;
    expect(bySeq.map((o) => o.intendedStart - t0)).toEqual([0, 2, 2, 15, 31]);
    for (const o of bySeq) {
      expect(o.metrics.sendLagMs).toBeGreaterThanOrEqual(0);
      // Latency counts from the intended time, so it includes the lag.
      expect(o.metrics.e2eMs).toBeGreaterThanOrEqual(o.metrics.sendLagMs);
      expect(o.verify?.ok).toBe(true);
    }
    const requests = [0, 1, 2, 3, 4].map((i) => (work(i) as GenerateWork).request);
    expect(requests.map((r) => r.options?.numPredict)).toEqual([2, 3, 4, 5, 6]);
    // prompt_tokens N: a prompt of N words.
    expect(requests.map((r) => r.prompt?.split(" ").length)).toEqual([3, 4, 5, 6, 7]);
  });

  it("ramps a closed loop: stream k never starts before k/N of the ramp, and all N run by its end", async () => {
    const client = createFakeClient({ tokens: 2, delayMs: 2 });
    const outs: StreamOutcome[] = [];
    const t0 = performance.now();
    const stats = await runClosedLoop({
      client,
      work: (seq) => ({ request: { model: "fake", prompt: `p${seq}` }, expected: fakeTokens(2) }),
      concurrency: 4,
      rampMs: 400,
      // Long past the ramp, so a loaded machine's late timers still let every stream start (an eventual check).
      durationMs: 2500,
      maxRequests: 100_000,
      onOutcome: (o) => outs.push(o),
    });
    expect(stats.completed).toBe(outs.length);
    expect(stats.peakInFlight).toBe(4);
    // Stream k (0-based) starts 100·k ms after the loop, which is after t0: when a request went out at t, at most
    // 1 + floor(t / 100) streams can have been running (timers fire late under load, never early).
    const inFlightAt = (t: number) =>
      outs.filter((o) => o.intendedStart <= t && t < o.intendedStart + o.metrics.e2eMs).length;
    for (const o of outs) {
      const t = o.intendedStart - t0;
      expect(inFlightAt(o.intendedStart), `a send at ${t.toFixed(1)} ms`).toBeLessThanOrEqual(
        Math.min(4, 1 + Math.floor(t / 100)),
      );
    }
    expect(outs.some((o) => o.intendedStart - t0 < 100)).toBe(true);
    expect(outs.every((o) => o.code === "ok" && o.verify?.ok)).toBe(true);
  });
});

describe("trace flags", () => {
  it("writes the same synthetic trace for the same flags, inside the window", async () => {
    const d = await tmp();
    const args = (f: string) => ["--write-trace", f, "--rate", "50", "--arrival", "poisson", "--duration", "2s"];
    const more = ["--prompt-dist", "uniform:20-80", "--output-dist", "uniform:2-9", "--seed", "3", "--quiet"];
    expect((await runCli([...args(join(d, "a.jsonl")), ...more])).code).toBe(ExitCode.Ok);
    expect((await runCli([...args(join(d, "b.jsonl")), ...more])).code).toBe(ExitCode.Ok);
    const a = await readFile(join(d, "a.jsonl"), "utf8");
    expect(await readFile(join(d, "b.jsonl"), "utf8")).toBe(a);
    const t = parseTrace(a, "a.jsonl");
    expect(t.requests).toBeGreaterThan(60);
    expect(t.requests).toBeLessThan(140);
    expect(t.spanMs).toBeLessThan(2000);
    for (const e of t.entries!) {
      expect(e.prompt!.length).toBeGreaterThanOrEqual(20);
      expect(e.prompt!.length).toBeLessThanOrEqual(80);
      expect(e.maxTokens).toBeGreaterThanOrEqual(2);
      expect(e.maxTokens).toBeLessThanOrEqual(9);
    }
    const r = await runCli(["--write-trace", join(d, "c.jsonl"), "--concurrency", "4", "--quiet"]);
    expect(r.code).toBe(ExitCode.Usage);
    expect(r.stderr).toContain("--write-trace needs an open-loop rate");
    expect(existsSync(join(d, "c.jsonl"))).toBe(false);
  });

  it("makes every scenario an open loop over the trace lasting the trace at its speed, and refuses mixed flags", async () => {
    const d = await tmp();
    const f = join(d, "t.jsonl");
    await writeFile(f, '{"offset_ms":0,"prompt":"a"}\n{"offset_ms":3000,"prompt_tokens":4}\n');
    const p = await parseBenchArgs(["--trace", f, "--trace-speed", "4", "--transports", "mcp-tcp"]);
    // One scenario of its own, not the default presets' two.
    expect(p.config.scenarios.map((x) => x.name)).toEqual(["trace"]);
    const s = p.config.scenarios[0];
    expect(s.load).toEqual({ mode: "open", arrival: "trace", traceSpeed: 4, ratePerSec: (2 * 1000) / 751 });
    const two = await parseBenchArgs(["--trace", f, "--preset", "low,normal", "--transports", "mcp-tcp"]);
    expect(two.config.scenarios.map((x) => [x.name, x.load.mode])).toEqual([
      ["low", "open"],
      ["normal", "open"],
    ]);
    expect(s.durationMs).toBe(751);
    expect(s.workload.trace?.requests).toBe(2);
    const cut = await parseBenchArgs(["--trace", f, "--duration", "200ms", "--transports", "mcp-tcp"]);
    expect(cut.config.scenarios[0].durationMs).toBe(200);
    const ramp = await parseBenchArgs([
      "--concurrency",
      "8",
      "--ramp",
      "1s",
      "--duration",
      "3s",
      "--transports",
      "http",
    ]);
    expect(ramp.config.scenarios.map((x) => x.load)).toEqual(
      ramp.config.scenarios.map(() => ({ mode: "closed", concurrency: 8, rampMs: 1000 })),
    );
    for (const [args, message] of [
      [["--trace", f, "--rate", "5"], "drop --rate"],
      [["--trace", f, "--concurrency", "5"], "drop --concurrency"],
      [["--trace", f, "--prompt-dist", "9"], "drop --prompt-dist"],
      [["--trace", f, "--ramp", "1s"], "a --trace has its own times"],
      [["--trace", f, "--sweep"], "--sweep sets its own load"],
      [["--trace-speed", "2"], "add --trace FILE"],
      [["--trace", f, "--trace-speed", "0"], "--trace-speed must be"],
      [["--ramp", "9s", "--duration", "2s"], "longer than scenario"],
      [["--record-trace", f, "--chat-turns", "2"], "a chat session is not one"],
      [["--record-trace", f, "--workers", "2"], "in-process generator"],
    ] as const) {
      const r = await runCli([...args, "--transports", "http"]);
      expect(r.code, args.join(" ")).toBe(ExitCode.Usage);
      expect(r.stderr).toContain(message);
    }
  });

  it("refuses a malformed trace line with its number, exit 2, nothing written", async () => {
    const d = await tmp();
    const f = join(d, "bad.jsonl");
    await writeFile(f, '{"offset_ms":0,"prompt":"a"}\n{"offset_ms":5,"prompt":"b","max_tokens":-1}\n');
    const out = join(d, "reports");
    const r = await runCli(["--trace", f, "--transports", "mcp-tcp", "--out", out, "--jsonl", join(d, "x.jsonl")]);
    expect(r.code).toBe(ExitCode.Usage);
    expect(r.stderr).toContain(`--trace ${f}: line 2: max_tokens must be`);
    expect(r.stderr).toContain("[bad_field]");
    expect(existsSync(out)).toBe(false);
    expect(existsSync(join(d, "x.jsonl"))).toBe(false);
  });

  it("replays a trace over mcp-tcp and http of a spawned gateway, verified, with the schedule lag, and records it", async () => {
    const d = await tmp();
    const f = join(d, "t.jsonl");
    const rec = join(d, "rec.jsonl");
    expect(
      (
        await runCli([
          "--write-trace",
          f,
          "--rate",
          "60",
          "--duration",
          "1s",
          "--output-dist",
          "uniform:3-7",
          "--quiet",
        ])
      ).code,
    ).toBe(ExitCode.Ok);
    const trace = parseTrace(await readFile(f, "utf8"), f);
    const out = join(d, "reports");
    const r = await runCli([
      "--trace",
      f,
      "--transports",
      "mcp-tcp,http",
      "--warmup",
      "0",
      "--repeats",
      "1",
      "--record-trace",
      rec,
      "--out",
      out,
      "--quiet",
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(ExitCode.Ok);
    const result = JSON.parse(await readFile(join(out, "bench.json"), "utf8")) as BenchResult;
    const sr = result.scenarios[0];
    expect(sr.scenario.workload.trace).toMatchObject({ requests: trace.requests, digest: trace.digest });
    expect(sr.scenario.workload.trace?.entries).toBeUndefined();
    const tokens = trace.entries!.reduce((a, e) => a + (e.maxTokens ?? 0), 0);
    for (const s of sr.summaries) {
      expect(s.merged.requests, s.transport).toBe(trace.requests);
      expect(s.merged.ok, s.transport).toBe(trace.requests);
      expect(s.merged.tokens, s.transport).toBe(tokens);
      expect(s.merged.summaries.sendLag.count).toBe(trace.requests);
    }
    expect(result.verification.failedStreams).toBe(0);
    const md = await readFile(join(out, "bench.md"), "utf8");
    expect(md).toContain("### Schedule lag");
    expect(md).toMatch(/\| mcp-tcp \| \d+ \| [\d.]+ \|/);
    const recorded = parseTrace(await readFile(rec, "utf8"), rec);
    expect(recorded.requests).toBe(trace.requests);
    expect(recorded.entries!.map((e) => e.prompt).sort()).toEqual(trace.entries!.map((e) => e.prompt).sort());
    expect(recorded.entries!.map((e) => e.maxTokens).sort()).toEqual(trace.entries!.map((e) => e.maxTokens).sort());
  }, 90_000);
});
