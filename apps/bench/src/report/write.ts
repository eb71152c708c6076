import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { BenchResult } from "../result.js";
import { renderHtml } from "./html.js";
import { renderMarkdown } from "./markdown.js";
import type { SerializationCases } from "./serialization.js";

/** Paths of the written reports. */
export interface ReportPaths {
  json: string;
  markdown: string;
  html: string;
}

/** Writes `bench.json`, `bench.md` and `bench.html` into `dir` (created if missing). */
export async function writeReports(result: BenchResult, dir: string, ser?: SerializationCases): Promise<ReportPaths> {
  await mkdir(dir, { recursive: true });
  const paths = { json: join(dir, "bench.json"), markdown: join(dir, "bench.md"), html: join(dir, "bench.html") };
  const full = ser ? { ...result, serialization: ser } : result;
  await writeFile(paths.json, `${JSON.stringify(full, null, 1)}\n`);
  await writeFile(paths.markdown, renderMarkdown(result, ser));
  await writeFile(paths.html, renderHtml(result, ser));
  return paths;
}
