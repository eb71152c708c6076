import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { BENCH_HELP, parseBenchArgs, parseDuration, runBenchCli, UsageError } from "./cli.js";
import { ExitCode } from "./slo.js";

describe("bench CLI parsing", () => {
  it("defaults to protocol-overhead and low over every transport, 3 repeats", async () => {
    const p = await parseBenchArgs([]);
    expect(p.config.scenarios.map((s) => s.name)).toEqual(["protocol-overhead", "low"]);
    expect(p.config.transports.map((t) => t.name)).toEqual([
      "http",
      "openai",
      "connect-grpc",
      "connect",
      "grpc-web",
      "mcp-tcp",
      "mcp-uds",
      "grpc-js",
      "echo",
    ]);
    expect(p.config.repeats).toBe(3);
    expect(p.config.scenarios[1].load).toEqual({ mode: "closed", concurrency: 50 });
  });

  it("applies load and workload overrides", async () => {
    const p = await parseBenchArgs([
      "--preset",
      "peak",
      "--rate",
      "300",
      "--arrival",
      "poisson",
      "--tokens",
      "8",
      "--ttft-ms",
      "5",
      "--duration",
      "750ms",
      "--transports",
      "mcp-tcp,echo",
      "--slo",
      "ttft_p99<50ms",
      "--sweep",
      "--server-cpus",
      "1",
    ]);
    const s = p.config.scenarios[0];
    expect(s.load).toEqual({ mode: "open", ratePerSec: 300, arrival: "poisson" });
    expect(s.workload.outputTokens).toBe(8);
    expect(s.workload.engine.ttftMs).toBe(5);
    expect(s.workload.engine.interTokenMs).toBe(8);
    expect(s.durationMs).toBe(750);
    expect(p.config.transports.map((t) => t.name)).toEqual(["mcp-tcp", "echo"]);
    expect(p.config.slos[0].value).toBe(50);
    expect(p.config.sweep?.slos.map((x) => x.source)).toEqual(["ttft_p99<50ms", "error_rate<1%"]);
    expect(p.config.serverCpus).toBe("1");
  });

  it("names the --tokens count in every preset's scenario line, not the preset's own", async () => {
    const p = await parseBenchArgs(["--preset", "protocol-overhead,low,target", "--tokens", "256"]);
    const [overhead, low, target] = p.config.scenarios.map((s) => s.description);
    expect(overhead).toBe("protocol overhead: zero-delay engine, 256 tokens, 16 concurrent streams");
    expect(low).toContain("× 256 tokens");
    expect(target).toContain("256-token replies");
    for (const d of [overhead, low, target]) expect(d).not.toMatch(/\b(16|32|64)[- ]tokens?\b/);
    const plain = await parseBenchArgs(["--preset", "protocol-overhead"]);
    expect(plain.config.scenarios[0].description).toContain("16 tokens");
  });

  it("rejects bad input with a usage error", async () => {
    for (const argv of [
      ["--preset", "huge"],
      ["--transports", "carrier-pigeon"],
      ["--duration", "soon"],
      ["--repeats", "0"],
      ["--bogus"],
      ["--server-cpus", "1;rm"],
      ["--arrival", "bursty"],
    ]) {
      await expect(parseBenchArgs(argv), argv.join(" ")).rejects.toThrow(UsageError);
    }
    expect(parseDuration("2m", "--x")).toBe(120_000);
    expect(parseDuration("1.5", "--x")).toBe(1500);
  });

  it("exits 0 for --help and 2 for a bad flag or SLO", async () => {
    const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      expect(await runBenchCli(["--help"])).toBe(ExitCode.Ok);
      expect(String(out.mock.calls[0][0])).toBe(BENCH_HELP);
      expect(await runBenchCli(["--slo", "latency<5"])).toBe(ExitCode.Usage);
      expect(await runBenchCli(["--nope"])).toBe(ExitCode.Usage);
      expect(String(err.mock.calls.at(-1)?.[0])).toContain("--help");
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  });
});

describe("scenario files and re-rendering", () => {
  it("merges a scenario file over the preset", async () => {
    const d = await mkdtemp(join(tmpdir(), "bench-cli-"));
    try {
      const f = join(d, "s.json");
      await writeFile(
        f,
        JSON.stringify([
          {
            name: "images",
            workload: { imageBytes: 65536, engine: { ttftMs: 3 } },
            load: { mode: "closed", concurrency: 4 },
          },
          { name: "plain" },
        ]),
      );
      const p = await parseBenchArgs(["--scenario", f]);
      expect(p.config.scenarios.map((s) => s.name)).toEqual(["images", "plain"]);
      expect(p.config.scenarios[0].workload.imageBytes).toBe(65536);
      expect(p.config.scenarios[0].workload.engine).toEqual({ ttftMs: 3, interTokenMs: 0, jitter: 0, seed: 42 });
      expect(p.config.scenarios[0].load).toEqual({ mode: "closed", concurrency: 4 });
      await writeFile(f, "[1, 2]");
      await expect(parseBenchArgs(["--scenario", f])).rejects.toThrow(UsageError);
      await writeFile(f, "{nope");
      await expect(parseBenchArgs(["--scenario", f])).rejects.toThrow(/not JSON/);
    } finally {
      await rm(d, { recursive: true, force: true });
    }
  });

  it("re-renders reports from a recorded result file and exits with its code", async () => {
    const d = await mkdtemp(join(tmpdir(), "bench-cli-"));
    const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    try {
      const fixture = join(import.meta.dirname, "test-support/fixtures/recorded-result.json");
      const code = await runBenchCli(["--report-from", fixture, fixture, "--out", d, "--quiet"]);
      expect(code).toBe(ExitCode.Ok);
      for (const f of ["bench.json", "bench.md", "bench.html"]) expect(existsSync(join(d, f))).toBe(true);
      const merged = JSON.parse(await readFile(join(d, "bench.json"), "utf8"));
      const original = JSON.parse(await readFile(fixture, "utf8"));
      expect(merged.scenarios[0].summaries[0].rounds).toBe(2 * original.scenarios[0].summaries[0].rounds);
      expect(await runBenchCli(["--report-from"])).toBe(ExitCode.Usage);
    } finally {
      out.mockRestore();
      await rm(d, { recursive: true, force: true });
    }
  });
});
