import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readResultFile } from "../merge.js";
import type { GaugeFigures, PoolFigures } from "../pool-sampler.js";
import { renderHtml } from "./html.js";
import { renderMarkdown } from "./markdown.js";
import { poolReading } from "./pools.js";
import { writeReports } from "./write.js";

// A real run with the pools sampled (command and date in test-support/fixtures/README.md).
const POOLS = join(import.meta.dirname, "../test-support/fixtures/recorded-pools.json");
// One recorded before windows carried pool figures.
const OLD = join(import.meta.dirname, "../test-support/fixtures/recorded-result.json");

let dir: string | undefined;
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const one = (x: number) => x.toLocaleString("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const gauge = (g: GaugeFigures) => `${g.peak.toLocaleString("en-US")} (${one(g.mean)})`;
const cells = (transport: string, round: number, p: PoolFigures) => [
  transport,
  String(round),
  gauge(p.open),
  gauge(p.active),
  gauge(p.idle),
  gauge(p.queued),
  p.opened === undefined ? "–" : String(p.opened),
  p.reconnects === undefined ? "–" : String(p.reconnects),
];

describe("connection pools in a recorded result", () => {
  it("every window carries its pool, and JSON, Markdown and HTML all show it", async () => {
    const r = await readResultFile(POOLS);
    const sr = r.scenarios[0];
    expect(sr.windows.length).toBeGreaterThan(0);
    for (const w of sr.windows) expect(w.pool?.samples, w.transport).toBeGreaterThanOrEqual(2);

    dir = await mkdtemp(join(tmpdir(), "bench-pools-"));
    const paths = await writeReports(r, dir);
    const json = JSON.parse(await readFile(paths.json, "utf8"));
    expect(json.scenarios[0].windows.map((w: { pool: PoolFigures }) => w.pool)).toEqual(sr.windows.map((w) => w.pool));

    const md = await readFile(paths.markdown, "utf8");
    const section = md.slice(md.indexOf(`### Connection pools (${sr.scenario.name})`)).split("\n## ")[0];
    expect(section).toContain("| transport | round | open peak (mean) |");
    const html = await readFile(paths.html, "utf8");
    expect(html).toBe(renderHtml(r));
    expect(md).toBe(renderMarkdown(r));
    const table = html.slice(html.indexOf('<table class="pools">'));
    for (const w of sr.windows) {
      const c = cells(w.transport, w.round, w.pool!);
      const reading = poolReading(w.pool!);
      expect(section, `${w.transport} r${w.round}`).toContain(`| ${[...c, reading].join(" | ")} |`);
      expect(table, `${w.transport} r${w.round}`).toContain(
        `<tr>${[...c, reading].map((x) => `<td>${x.replaceAll("&", "&amp;").replaceAll("<", "&lt;")}</td>`).join("")}</tr>`,
      );
    }
    const rows = section.split("\n").filter((l) => /^\| [a-z]/.test(l) && !l.startsWith("| transport |"));
    expect(rows).toHaveLength(sr.windows.length);
  });

  it("reads the figures in plain words: waits, connections not kept, reconnects, streams per connection", () => {
    const g = (peak: number, mean = peak): GaugeFigures => ({ peak, mean });
    const base: PoolFigures = {
      samples: 10,
      intervalMs: 100,
      open: g(1),
      active: g(16, 15.2),
      idle: g(0),
      queued: g(0),
      queuedShare: 0,
      opened: 0,
      reconnects: 0,
    };
    expect(poolReading(base)).toBe("16 streams per connection at the peak, no waits");
    expect(poolReading({ ...base, queued: g(12, 6), queuedShare: 0.6 })).toBe(
      "calls waited for the pool in 60% of samples (up to 12): the pool was the limit",
    );
    expect(poolReading({ ...base, open: g(16), active: g(16), opened: 40, reconnects: 3 })).toBe(
      "40 connections opened, 16 open at most: connections not kept; 3 reconnects",
    );
  });

  it("a result recorded before pools were sampled renders without the section", async () => {
    const r = await readResultFile(OLD);
    expect(r.scenarios[0].windows.every((w) => w.pool === undefined)).toBe(true);
    expect(renderMarkdown(r)).not.toContain("Connection pools");
    expect(renderHtml(r)).not.toContain('class="pools"');
  });
});
