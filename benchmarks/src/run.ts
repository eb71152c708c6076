/**
 * `npm run bench`: checks every case's round trip, times encode and decode with tinybench, prints the timing,
 * wire-size and comparison tables, and writes `reports/serialization.json` at the repository root.
 *
 * Options: `--filter <regex>` (case names, e.g. `req-64k|/mcp`), `--time <ms>` per task, `--warmup <ms>`,
 * `--seed <n>`, `--out <path>` (`-` for none).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { buildCases, mcpPartCases } from "./cases.js";
import { createFixtures, STREAM_TOKENS } from "./fixtures.js";
import { claimVerdict, mcpLayerTable, mcpTable, protobufVsJsonTable, sizeMatrix, timingTable } from "./format.js";
import { SERIALIZATION_REPORT_FORMAT, type SerializationReport } from "./report.js";
import { mcpVsProtobuf, protobufVsJson, runSuite, sizeTable } from "./suite.js";

/** Where the report goes by default: `reports/serialization.json` at the repository root. */
export const DEFAULT_REPORT_PATH = resolve(import.meta.dirname, "../../reports/serialization.json");

const { values } = parseArgs({
  options: {
    filter: { type: "string", short: "f" },
    time: { type: "string", default: "200" },
    warmup: { type: "string", default: "50" },
    seed: { type: "string", default: "20251125" },
    out: { type: "string", default: DEFAULT_REPORT_PATH },
  },
});

const positiveNumber = (name: string, s: string) => {
  const n = Number(s);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${s}`);
  return n;
};
const timeMs = positiveNumber("time", values.time);
const warmupMs = positiveNumber("warmup", values.warmup);
const seed = Math.trunc(positiveNumber("seed", values.seed));
const filter = values.filter === undefined ? undefined : new RegExp(values.filter);

const started = Date.now();
const environment = {
  node: process.version,
  platform: process.platform,
  arch: process.arch,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? "unknown",
  loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
};
console.log(`serialization suite: seed ${seed}, ${timeMs} ms per task, filter ${filter ?? "(none)"}`);
console.log(
  `node ${environment.node}, ${environment.cpus} × ${environment.cpuModel}, load ${environment.loadavg.join(" ")}`,
);

const fixtures = createFixtures(seed);
const probes = createFixtures(seed + 1);
const cases = [...buildCases(fixtures, probes), ...mcpPartCases(fixtures, probes)];
const results = runSuite(cases, { timeMs, warmupMs, filter, log: (l) => console.log(l) });
const report: SerializationReport = {
  format: SERIALIZATION_REPORT_FORMAT,
  generatedAt: new Date(started).toISOString(),
  environment,
  settings: { seed, timeMs, warmupMs, filter: values.filter ?? null, streamTokens: STREAM_TOKENS },
  cases: results,
  sizes: sizeTable(results),
  protobufVsJson: protobufVsJson(results),
  mcpVsProtobuf: mcpVsProtobuf(results),
};

console.log(`\n${timingTable(results)}`);
console.log(`\nWire size per payload class\n${sizeMatrix(report.sizes)}`);
console.log(
  `\nProtobuf vs Ollama JSON (the article claims Protobuf is 60-70% smaller)\n${protobufVsJsonTable(report.protobufVsJson)}`,
);
console.log(claimVerdict(report.protobufVsJson));
if (report.mcpVsProtobuf.length > 0) {
  console.log(`\nMCP full frame vs bare protobuf-es (target <= 1.15x)\n${mcpTable(report.mcpVsProtobuf)}`);
  if (report.mcpVsProtobuf.some((r) => r.layers.length > 0)) {
    console.log(
      `\nMCP by layer (each layer's encode+decode; sum vs the measured whole)\n${mcpLayerTable(report.mcpVsProtobuf)}`,
    );
  }
}

if (values.out !== "-") {
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(values.out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwrote ${values.out}`);
}
const failed = results.filter((r) => r.roundTrip !== "ok");
console.log(
  `done in ${((Date.now() - started) / 1000).toFixed(1)} s; ${failed.length} case(s) failed their round-trip check`,
);
if (failed.length > 0) process.exitCode = 1;
