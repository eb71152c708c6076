import { describe, expect, it, vi } from "vitest";
import { BENCH_HELP, parseBenchArgs, parseDuration, runBenchCli, UsageError } from "./cli.js";
import { ExitCode } from "./slo.js";

describe("bench CLI parsing", () => {
  it("defaults to protocol-overhead and low over every transport, 3 repeats", async () => {
    const p = await parseBenchArgs([]);
    expect(p.config.scenarios.map((s) => s.name)).toEqual(["protocol-overhead", "low"]);
    expect(p.config.transports.map((t) => t.name)).toEqual([
      "http",
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
