import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GATEWAY_MAIN } from "@modelwire/server";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runBenchCli } from "./cli.js";
import { presetScenario } from "./presets.js";
import { createProgress } from "./progress.js";
import { poolReading } from "./report/pools.js";
import { runBench } from "./runner.js";
import { ExitCode, parseSlos } from "./slo.js";
import { selectTransports } from "./transports.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const quick = { durationMs: 400, warmupMs: 100, maxRequests: 100_000 };

describe("runner against the echo reference process", () => {
  it("runs interleaved rounds, verifies tokens, measures cost and start-up", async () => {
    const r = await runBench({
      scenarios: [presetScenario("protocol-overhead", quick)],
      transports: selectTransports("echo"),
      repeats: 2,
      slos: parseSlos("error_rate<1%"),
      progress: createProgress({ quiet: true }),
    });
    expect(r.exitCode).toBe(ExitCode.Ok);
    const s = r.scenarios[0].summaries[0];
    expect(s.rounds).toBe(2);
    expect(s.merged.ok).toBeGreaterThan(10);
    expect(s.merged.verify.failedStreams).toBe(0);
    expect(r.verification.streams).toBe(s.merged.requests);
    expect(s.figures.serverCpuPerRequestUs.median).toBeGreaterThan(0);
    // 16 one-token frames of 9+ bytes each plus the request: well above 100 bytes per request
    expect(s.figures.bytesPerRequest.median).toBeGreaterThan(100);
    expect(s.figures.tokensPerSec.median).toBeCloseTo(16 * s.figures.rps.median, -1);
    expect(r.processes[0].startupMs).toBeGreaterThan(0);
    expect(r.processes[0].maxRssBytes).toBeGreaterThan(1e6);
    // The echo client's one connection, opened in the first warm-up: none opened during a measured window.
    for (const w of r.scenarios[0].windows) {
      expect(w.pool).toMatchObject({ open: { peak: 1 }, opened: 0, queued: { peak: 0 } });
      expect(w.pool!.samples).toBeGreaterThanOrEqual(2);
      expect(w.pool!.active.peak).toBeGreaterThan(1);
    }
  }, 60_000);

  it("exits 1 when an SLO is breached and writes all three reports plus the JSONL log", async () => {
    const d = await mkdtemp(join(tmpdir(), "bench-run-"));
    dirs.push(d);
    const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    let code: number;
    try {
      code = await runBenchCli([
        "--transports",
        "echo",
        "--preset",
        "protocol-overhead",
        "--duration",
        "300ms",
        "--warmup",
        "100ms",
        "--repeats",
        "1",
        "--slo",
        "ttft_p50<0.001ms",
        "--out",
        d,
        "--jsonl",
        join(d, "log.jsonl"),
        "--quiet",
      ]);
    } finally {
      out.mockRestore();
    }
    expect(code).toBe(ExitCode.SloBreached);
    const json = JSON.parse(await readFile(join(d, "bench.json"), "utf8"));
    expect(json.sloBreaches[0]).toMatchObject({ transport: "echo", slo: "ttft_p50<0.001ms" });
    expect(await readFile(join(d, "bench.md"), "utf8")).toContain("SLO breaches: echo: ttft_p50<0.001ms");
    expect(existsSync(join(d, "bench.html"))).toBe(true);
    const lines = (await readFile(join(d, "log.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.length).toBe(json.scenarios[0].summaries[0].merged.requests);
    expect(lines[0]).toMatchObject({
      scenario: "protocol-overhead",
      transport: "echo",
      code: "ok",
      tokens: 16,
      verified: true,
    });
  }, 60_000);
});

describe.runIf(existsSync(GATEWAY_MAIN))("runner against the gateway process", () => {
  it("drives MCP, HTTP and the OpenAI API through the gateway, verified token by token, bytes per protocol", async () => {
    // A 1 s warm-up, so that all 16 streams have had a call in flight before the window (the pools' `opened` below).
    // With 100 ms at load ~15 the load generator had not started every stream's first call when the warm-up ended:
    // those opened their connection in the window (opened 4, 10, 14 in 3 of 4 runs; open mean 14 of peak 16).
    const r = await runBench({
      scenarios: [presetScenario("protocol-overhead", { ...quick, warmupMs: 1000 })],
      transports: selectTransports("mcp-tcp,http,openai"),
      repeats: 1,
      slos: [],
      gatewayMain: GATEWAY_MAIN,
      progress: createProgress({ quiet: true }),
    });
    expect(r.skipped).toEqual([]);
    expect(r.verification.failedStreams).toBe(0);
    const by = Object.fromEntries(r.scenarios[0].summaries.map((s) => [s.transport, s]));
    for (const t of ["mcp-tcp", "http", "openai"]) {
      expect(by[t].merged.ok).toBeGreaterThan(5);
      expect(by[t].figures.bytesPerToken.median).toBeGreaterThan(1);
      expect(by[t].figures.serverCpuPerRequestUs.median).toBeGreaterThan(0);
      // 16 tokens, one per chunk, counted from eval_count (OpenAI's usage on that wire).
      expect(by[t].merged.tokens).toBe(16 * by[t].merged.ok);
      expect(by[t].merged.chunks).toBe(16 * by[t].merged.ok);
    }
    // The synthetic engine's durations come back on the Ollama and MCP wires: what the wire adds is measured there.
    for (const t of ["mcp-tcp", "http"]) {
      expect(by[t].merged.overhead.reported).toBe(by[t].merged.ok);
      expect(by[t].figures.overheadP50.median).toBeGreaterThan(0);
      expect(by[t].figures.overheadP99.median).toBeGreaterThanOrEqual(by[t].figures.overheadP50.median);
    }
    // OpenAI's API carries no durations: no overhead figure, and no zero standing in for one.
    expect(by.openai.merged.overhead.reported).toBe(0);
    expect(by.openai.figures.overheadP50.median).toBeNaN();
    expect(r.processes.map((p) => p.name)).toEqual(["gateway"]);
    // The pools as sampled: HTTP/1.1 needs a connection per stream in flight: 16 streams open more than one, and
    // never more than the pool's 16 (the bench sizes it at the stream count). The warm-up opened them (see above) and
    // they are kept (a stream read to its end leaves its connection open). A call may still wait for a connection now and
    // then (undici hands a connection back one event-loop turn after its reply; a connection idle past its
    // keep-alive reconnects), never more calls than there are streams. MCP carries every stream on one connection.
    const pool = (t: string) => r.scenarios[0].windows.find((w) => w.transport === t)!.pool!;
    for (const t of ["http", "openai"]) {
      expect(pool(t).open.peak).toBeGreaterThan(1);
      expect(pool(t).open.peak).toBeLessThanOrEqual(16);
      expect(pool(t).active.peak).toBeLessThanOrEqual(16);
      expect(pool(t).queued.peak).toBeLessThanOrEqual(16);
      expect(pool(t).queuedShare).toBeLessThanOrEqual(1);
      expect(pool(t).opened).toBe(0);
    }
    expect(pool("mcp-tcp")).toMatchObject({ open: { peak: 1 }, reconnects: 0, opened: 0 });
    expect(pool("mcp-tcp").active.peak).toBeGreaterThan(1);
  }, 90_000);

  it("shows an HTTP/1.1 pool with fewer connections than streams as the limit", async () => {
    // 16 streams over one connection: one call at a time runs, the others wait in the pool's queue.
    const r = await runBench({
      scenarios: [presetScenario("protocol-overhead", quick)],
      transports: selectTransports("http"),
      repeats: 1,
      slos: [],
      connections: 1,
      gatewayMain: GATEWAY_MAIN,
      progress: createProgress({ quiet: true }),
    });
    expect(r.verification.failedStreams).toBe(0);
    const w = r.scenarios[0].windows[0];
    expect(r.scenarios[0].summaries[0].merged.ok).toBeGreaterThan(5);
    const pool = w.pool!;
    // One connection, opened in the warm-up and kept through the window, one call on it at a time.
    expect(pool).toMatchObject({ open: { peak: 1 }, active: { peak: 1 }, opened: 0 });
    // More than one call waiting at once: only a pool with fewer connections than streams does that here. All 16
    // wait while the one connection is handed back between calls or reconnects.
    expect(pool.queued.peak).toBeGreaterThan(1);
    expect(pool.queued.peak).toBeLessThanOrEqual(16);
    expect(pool.queuedShare).toBeGreaterThan(0);
    expect(poolReading(pool)).toMatch(
      /^calls waited for the pool in \d+% of samples \(up to \d+\): the pool was the limit/,
    );
  }, 90_000);
});
