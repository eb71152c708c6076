import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dumpDom, requireChromium } from "@modelwire/test-kit/chromium";
import { afterEach, describe, expect, it } from "vitest";
import { decodeLatencyHistogram } from "../histogram.js";
import { mergeResults, readResultFile } from "../merge.js";
import { judgeScenario, judgeTargets, overallLine, recommend } from "../recommend.js";
import type { BenchResult, Spread } from "../result.js";
import { expectedPlotCount, renderHtml } from "./html.js";
import { renderMarkdown } from "./markdown.js";
import type { SerializationCases } from "./serialization.js";
import { writeReports } from "./write.js";

const FIXTURE = join(import.meta.dirname, "../test-support/fixtures/recorded-result.json");
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function tmp() {
  const d = await mkdtemp(join(tmpdir(), "bench-report-"));
  dirs.push(d);
  return d;
}

const spread = (median: number, min = median, max = median): Spread => ({
  median,
  min,
  max,
  values: [min, median, max],
});

describe("reports from a recorded result file", () => {
  it("renders every transport's figures into the Markdown table", async () => {
    const r = await readResultFile(FIXTURE);
    const md = renderMarkdown({ ...r, recommendation: recommend(r) });
    const sr = r.scenarios[0];
    // The scenario's own table (the "what the wire adds" section comes first, with the same transports).
    const table = md.slice(md.indexOf(`\n## ${sr.scenario.name}\n`)).split("\n");
    for (const s of sr.summaries) {
      const row = table.find((l) => l.startsWith(`| ${s.transport} |`));
      expect(row, s.transport).toBeDefined();
      const rps = Math.round(s.figures.rps.median).toLocaleString("en-US");
      expect(row).toContain(`| ${rps} |`);
    }
    expect(md).toContain("## Recommendation");
    expect(md).toContain(`${r.verification.streams} streams verified`);
  });

  it("merges two runs: windows pooled, histogram counts added, medians recomputed", async () => {
    const r = await readResultFile(FIXTURE);
    const m = mergeResults([r, r]);
    const a = r.scenarios[0].summaries[0];
    const b = m.scenarios[0].summaries[0];
    expect(b.rounds).toBe(2 * a.rounds);
    expect(b.merged.requests).toBe(2 * a.merged.requests);
    expect(decodeLatencyHistogram(b.merged.histograms.e2e).count).toBe(
      2 * decodeLatencyHistogram(a.merged.histograms.e2e).count,
    );
    expect(b.merged.summaries.e2e.p99).toBeCloseTo(a.merged.summaries.e2e.p99, 6);
    expect(b.figures.rps.median).toBeCloseTo(a.figures.rps.median, 6);
    expect(m.verification.streams).toBe(2 * r.verification.streams);
    expect(m.scenarios[0].windows.map((w) => w.round).sort()).toContain(2);
  });

  it("rejects a file that is not a bench result", async () => {
    const d = await tmp();
    const p = join(d, "x.json");
    await (await import("node:fs/promises")).writeFile(p, JSON.stringify({ schema: "other" }));
    await expect(readResultFile(p)).rejects.toThrow(/not a modelwire-bench/);
  });
});

describe("recommendation from data", () => {
  async function tweaked(f: (r: BenchResult) => void) {
    const r = structuredClone(await readResultFile(FIXTURE));
    f(r);
    return r;
  }

  it("names the winner when the gap is outside the noise and says 'within the noise' when it is not", async () => {
    const clear = await tweaked((r) => {
      for (const s of r.scenarios[0].summaries) s.figures.ttftP50 = spread(10, 9.5, 10.5);
      r.scenarios[0].summaries.find((s) => s.transport === "connect")!.figures.ttftP50 = spread(2, 1.9, 2.1);
    });
    const v = judgeScenario(clear.scenarios[0], new Set(["grpc-js", "echo"])).find((x) => x.figure === "ttftP50")!;
    expect(v.best).toBe("connect");
    expect(v.text).toMatch(
      /^connect leads with 2\.00 ms; the next clearly different, \w[\w-]*, has 10\.0 ms \(5\.00× the leader.s\)/,
    );

    const noisy = await tweaked((r) => {
      for (const s of r.scenarios[0].summaries) s.figures.ttftP50 = spread(10, 8, 12);
      r.scenarios[0].summaries.find((s) => s.transport === "http")!.figures.ttftP50 = spread(9, 7, 11);
    });
    const n = judgeScenario(noisy.scenarios[0], new Set(["grpc-js", "echo"])).find((x) => x.figure === "ttftP50")!;
    expect(n.best).toBe("http");
    expect(n.text).toContain("within the noise");
    expect(recommend(noisy).join("\n")).toContain("within the noise");
  });

  it("counts only clear leads in the overall line: a lead within the noise counts for no one", async () => {
    const figures = ["ttftP50", "e2eP99", "rps", "serverCpuPerRequestUs", "bytesPerRequest", "overheadP50"] as const;
    const allTied = await tweaked((r) => {
      for (const s of r.scenarios[0].summaries) for (const f of figures) s.figures[f] = spread(10, 8, 12);
      // mcp-uds has the best median everywhere, but within every other wire's range.
      const uds = r.scenarios[0].summaries.find((s) => s.transport === "mcp-uds")!;
      for (const f of figures) uds.figures[f] = f === "rps" ? spread(11, 9, 13) : spread(9, 7, 11);
    });
    const tiedLines = recommend(allTied);
    const overall = tiedLines.find((l) => l.startsWith("**Overall:**"))!;
    expect(overall).toContain("no wire led clearly on any of the 6 scenario criteria");
    expect(overall).not.toContain("mcp-uds");

    const oneClear = await tweaked((r) => {
      for (const s of r.scenarios[0].summaries) for (const f of figures) s.figures[f] = spread(10, 8, 12);
      const by = (n: string) => r.scenarios[0].summaries.find((s) => s.transport === n)!;
      // The overhead table's figure (ms; µs in the table): mcp-tcp clearly adds the least.
      by("mcp-tcp").figures.overheadP50 = spread(0.5, 0.45, 0.55);
      by("http").figures.overheadP50 = spread(2, 1.9, 2.1);
      for (const s of r.scenarios[0].summaries)
        if (s.transport !== "mcp-tcp" && s.transport !== "http") s.figures.overheadP50 = spread(2.4, 2.2, 2.6);
    });
    const lines = recommend(oneClear);
    expect(lines).toContain(
      "- what the wire adds per request (p50, the overhead table): mcp-tcp leads with 500.0 µs; the next clearly different, http, has 2,000 µs (1,500 µs more).",
    );
    expect(lines.find((l) => l.startsWith("**Overall:**"))).toBe(
      "**Overall:** mcp-tcp led clearly (outside the noise) on 1 of 6 scenario criteria. On 5 of 6 the best were within the noise of each other: counted for no one.",
    );
  });

  it("says co-leaders apart from others, and nothing when no criterion had two contenders", () => {
    expect(
      overallLine(
        new Map([
          ["a", 2],
          ["b", 2],
          ["c", 1],
        ]),
        5,
        0,
      ),
    ).toBe(
      "**Overall:** a and b each led clearly on 2 of 5 scenario criteria — the data does not separate them; others: c 1.",
    );
    expect(overallLine(new Map(), 0, 0)).toBeUndefined();
  });

  it("judges the MCP and Connect targets against the references", async () => {
    const r = await tweaked((x) => {
      const by = (n: string) => x.scenarios[0].summaries.find((s) => s.transport === n)!;
      by("echo").figures.rps = spread(1000, 990, 1010);
      by("mcp-tcp").figures.rps = spread(800, 790, 810);
      by("mcp-uds").figures.rps = spread(500, 490, 510);
      by("grpc-js").figures.rps = spread(700, 690, 710);
      by("connect-grpc").figures.rps = spread(600, 590, 610);
      by("connect").figures.rps = spread(702, 650, 750);
    });
    const t = Object.fromEntries(judgeTargets(r.scenarios[0]).map((x) => [x.target, x.status]));
    expect(t).toEqual({
      "mcp-tcp ≥ 0.75× echo": "holds",
      "mcp-uds ≥ 0.75× echo": "misses",
      "connect-grpc ≥ grpc-js": "misses",
      "connect ≥ grpc-js": "holds",
    });
  });

  it("says the engine set the pace of a tie with the echo only when the engine delays", async () => {
    const tie = (engine: { ttftMs: number; interTokenMs: number }) =>
      tweaked((x) => {
        const sr = x.scenarios[0];
        sr.scenario.workload.engine = { ...sr.scenario.workload.engine, ...engine };
        for (const n of ["echo", "mcp-tcp"]) sr.summaries.find((s) => s.transport === n)!.figures.rps = spread(1000);
      });
    const text = async (engine: { ttftMs: number; interTokenMs: number }) =>
      judgeTargets((await tie(engine)).scenarios[0]).find((t) => t.target === "mcp-tcp ≥ 0.75× echo")!.text;
    expect(await text({ ttftMs: 25, interTokenMs: 8 })).toContain("the engine, not the wire, sets the pace");
    expect(await text({ ttftMs: 0, interTokenMs: 0 })).not.toContain("the engine");
  });
});

describe("HTML report", () => {
  const ser: SerializationCases = {
    format: "modelwire.serialization/v1",
    cases: ["ollama-json", "ollama-ndjson", "grpc", "mcp"].flatMap((encoding) => [
      { payload: "req-small", encoding, bytes: 100, encode: { nsPerOp: 2000 }, decode: { nsPerOp: 3000 } },
      { payload: "stream-64", encoding, bytes: 5000, encode: { nsPerOp: 40_000 }, decode: { nsPerOp: 60_000 } },
    ]),
  };

  it("is self-contained: no external URLs, data inlined, text escaped", async () => {
    const r = await readResultFile(FIXTURE);
    const evil = { ...r, recommendation: ["<script>alert(1)</script> **bold**"] };
    const html = renderHtml(evil, ser);
    expect(html).not.toMatch(/(src|href)=["']https?:/);
    expect(html).not.toContain("<script>alert(1)</script>");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt; <b>bold</b>");
    expect(html).toContain('id="plot-data"');
    expect(html).toContain('id="split"');
  });

  it("draws every plot in headless Chromium", async (ctx) => {
    requireChromium(ctx);
    const r = await readResultFile(FIXTURE);
    const point = (rps: number, ttft: number, ok = true) => ({
      offeredRps: rps,
      achievedRps: rps * 0.98,
      ttftP50: ttft / 3,
      ttftP99: ttft,
      e2eP99: ttft * 1.2,
      errorRate: 0,
      sloOk: ok,
    });
    r.sweep = {
      scenario: "protocol-overhead",
      slos: ["ttft_p99<50ms"],
      results: [
        {
          transport: "mcp-tcp",
          points: [point(500, 2), point(1000, 4), point(2000, 80, false)],
          kneeRps: 1000,
          stoppedBecause: "at 2000 req/s: ttft_p99<50ms",
        },
        {
          transport: "http",
          points: [point(500, 9), point(1000, 120, false)],
          kneeRps: 500,
          stoppedBecause: "at 1000 req/s: ttft_p99<50ms",
        },
      ],
    };
    const d = await tmp();
    const paths = await writeReports({ ...r, recommendation: recommend(r) }, d, ser);
    const dom = await dumpDom(paths.html);
    const expected = expectedPlotCount(r, ser);
    // 2 percentile curves + 4 cost charts per scenario, the sweep, and the serialization split
    expect(expected).toBe(r.scenarios.length * 6 + 2);
    expect(dom).toContain(`data-plots-drawn="${expected}"`);
    expect((dom.match(/data-drawn="1"/g) ?? []).length).toBe(expected);
    const series = (dom.match(/class="series"/g) ?? []).length;
    expect(series).toBe(r.scenarios.reduce((n, s) => n + 2 * s.summaries.length, 0) + 2);
    expect(dom).toMatch(/<div id="sweep" class="chart"><svg[^>]*data-drawn="1"/);
    expect(dom).toMatch(/<div id="split" class="chart"><svg[^>]*data-drawn="1"/);
    expect((dom.match(/class="bar"/g) ?? []).length).toBeGreaterThan(0);
    expect(JSON.parse(await readFile(paths.json, "utf8")).serialization.format).toBe("modelwire.serialization/v1");
  }, 90_000);
});
