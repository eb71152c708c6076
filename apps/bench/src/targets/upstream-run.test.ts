import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { BenchResult } from "../result.js";
import { ExitCode } from "../slo.js";
import { QUICK, runCli } from "../test-support/run-cli.js";
import { standInsBeforeAll } from "../test-support/stand-ins.js";
import { tempDirsAfterEach } from "../test-support/temp-dirs.js";

const tempDir = tempDirsAfterEach();

// The stand-in Ollama runs as its own process, the gateway the bench spawns sits in front of it.
const standIns = standInsBeforeAll({ ttftMs: 10, interTokenMs: 2, models: ["tiny:1b"] });

describe("bench --upstream: the gateway in front of a stand-in Ollama, beside the direct path", () => {
  it("runs direct and every wire in each round and reports what the gateway adds against direct", async () => {
    const [standin] = standIns();
    const d = await tempDir("bench-upstream-");
    const out = join(d, "reports");
    const { code, stderr } = await runCli([
      "--upstream",
      standin.url,
      "--transports",
      "http,connect-grpc,mcp-tcp",
      "--concurrency",
      "2",
      "--tokens",
      "8",
      "--out",
      out,
      ...QUICK,
    ]);
    expect(stderr).toBe("");
    expect(code).toBe(ExitCode.Ok);
    const r = JSON.parse(await readFile(join(out, "bench.json"), "utf8")) as BenchResult;
    expect(r.transports.map((t) => t.name)).toEqual(["direct", "http", "connect-grpc", "mcp-tcp"]);
    const sr = r.scenarios[0];
    expect(sr.summaries.map((s) => s.transport)).toEqual(["direct", "http", "connect-grpc", "mcp-tcp"]);
    for (const s of sr.summaries) expect(s.merged.ok).toBeGreaterThan(2);
    // The gateway's CPU is measured (the bench spawned it), the upstream's is not (a foreign server).
    const direct = sr.windows.find((w) => w.transport === "direct")!;
    expect(direct.cost.serverMeasured).toBe(false);
    for (const w of sr.windows.filter((x) => x.transport !== "direct"))
      expect(w.cost.serverCpuPerRequestUs).toBeGreaterThan(0);
    // The gateway relays the upstream's own durations on every wire: the overhead is measured everywhere.
    for (const s of sr.summaries) expect(s.merged.overhead.reported).toBe(s.merged.ok);
    expect(r.verification.mode).toBe("consistency");
    expect(r.verification.consistency?.inconsistent).toBe(0);
    // The answer first: the recommendation names the cheapest hop, then what the wire adds, with the Δ table.
    expect(r.recommendation.join("\n")).toMatch(
      /against the direct path: the cheapest gateway hop is (http|connect-grpc|mcp-tcp) \(Δ TTFT p50 [+-]/,
    );
    const md = await readFile(join(out, "bench.md"), "utf8");
    const section = md.indexOf("## What the wire and the gateway add");
    const at = md.indexOf("| transport | Δ TTFT p50 ms |");
    expect(md.indexOf("## Recommendation")).toBeLessThan(section);
    expect(at).toBeGreaterThan(section);
    expect(at).toBeLessThan(md.indexOf("\n## target\n"));
    const table = md.slice(at).split("\n\n")[0];
    for (const t of ["http", "connect-grpc", "mcp-tcp"]) expect(table).toMatch(new RegExp(`\\| ${t} \\| [+-]?\\d`));
    expect(table).not.toContain("| direct |");
    const html = await readFile(join(out, "bench.html"), "utf8");
    expect(html).toContain("<th>Δ E2E p99 ms</th>");
  }, 90_000);
});
