import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { BenchResult } from "../result.js";
import { ExitCode } from "../slo.js";
import { QUICK, runCli } from "../test-support/run-cli.js";
import { standInsBeforeAll } from "../test-support/stand-ins.js";
import { tempDirsAfterEach } from "../test-support/temp-dirs.js";

const tempDir = tempDirsAfterEach();

// Two stand-in Ollama processes (written from Ollama's docs), the second slower; the bench's gateway runs in
// front of both.
const standIns = standInsBeforeAll(
  { ttftMs: 10, interTokenMs: 2, models: ["tiny:1b"] },
  { ttftMs: 40, interTokenMs: 8, models: ["tiny:1b"] },
);

describe("bench --upstream A --upstream B: the gateway in front of a fleet, beside each upstream straight", () => {
  it("runs direct-1, direct-2 and the wires in each round, reports the calls per upstream and each Δ", async () => {
    const ups = standIns();
    const d = await tempDir("bench-fleet-");
    const out = join(d, "reports");
    const { code, stderr } = await runCli([
      "--upstream",
      ups[0].url,
      "--upstream",
      ups[1].url,
      "--transports",
      "http,mcp-tcp",
      "--concurrency",
      "4",
      "--tokens",
      "8",
      "--out",
      out,
      ...QUICK,
    ]);
    expect(stderr).toBe("");
    expect(code).toBe(ExitCode.Ok);
    const r = JSON.parse(await readFile(join(out, "bench.json"), "utf8")) as BenchResult;
    expect(r.transports.map((t) => t.name)).toEqual(["direct-1", "direct-2", "http", "mcp-tcp"]);
    expect(r.targets?.map((t) => [t.transport, t.address, t.role])).toEqual([
      ["direct-1", ups[0].url, "upstream"],
      ["direct-2", ups[1].url, "upstream"],
    ]);
    const sr = r.scenarios[0];
    for (const s of sr.summaries) expect(s.merged.ok, s.transport).toBeGreaterThan(2);
    // Straight to an upstream there is no gateway, so no spread; through it, every call served is on one upstream.
    for (const w of sr.windows.filter((x) => x.transport.startsWith("direct"))) expect(w.upstreams).toBeUndefined();
    for (const w of sr.windows.filter((x) => !x.transport.startsWith("direct"))) {
      expect(w.upstreams?.map((u) => u.url)).toEqual([ups[0].url, ups[1].url]);
      expect(
        w.upstreams!.reduce((n, u) => n + u.calls, 0),
        w.transport,
      ).toBe(w.run.ok);
      // Four streams in flight: least outstanding keeps both upstreams busy.
      for (const u of w.upstreams!) expect(u.calls, `${w.transport} ${u.url}`).toBeGreaterThan(0);
    }
    expect(r.verification.mode).toBe("consistency");
    expect(r.verification.consistency?.inconsistent).toBe(0);
    const md = await readFile(join(out, "bench.md"), "utf8");
    expect(md).toContain(`| transport | upstream 1 (${ups[0].url}) | upstream 2 (${ups[1].url}) | moved |`);
    expect(md).toMatch(/\| http \| \d+ \(\d+\.\d %\) \| \d+ \(\d+\.\d %\) \| \d+ \|/);
    for (const t of ["http", "mcp-tcp"])
      for (const b of ["direct-1", "direct-2"]) expect(md).toMatch(new RegExp(`\\| ${t} vs ${b} \\| [+-]?\\d`));
    const html = await readFile(join(out, "bench.html"), "utf8");
    expect(html).toContain(`<th>upstream 2 (${ups[1].url})</th>`);
  }, 120_000);
});
