/** Runs the cases under tinybench and derives the comparison tables. */
import { Bench, type Task } from "tinybench";
import type { CaseResult, McpVsProtobuf, ProtobufVsJson, SizeRow, TaskTiming } from "./report.js";
import { type BenchCase, verifyRoundTrip } from "./round-trip.js";

/** How the suite times its tasks. */
export interface SuiteOptions {
  /** tinybench time budget per task, ms. */
  readonly timeMs: number;
  /** Warm-up budget per task, ms. */
  readonly warmupMs: number;
  /** Only cases whose name matches are timed (all are still checked and sized). */
  readonly filter?: RegExp;
  /** Progress lines (one per timed case). */
  readonly log?: (line: string) => void;
}

// Results land here so the optimizer cannot drop the work.
let sink: unknown;
/** The last value a timed task produced (exported so the store has an observer). */
export const lastSink = (): unknown => sink;

function timing(task: Task): TaskTiming | null {
  const r = task.result;
  if (r.state !== "completed") return null;
  return {
    nsPerOp: r.latency.mean * 1e6,
    opsPerSec: r.throughput.mean,
    rmePercent: r.latency.rme,
    p50Ns: r.latency.p50 * 1e6,
    p99Ns: r.latency.p99 * 1e6,
    samples: r.latency.samples?.length ?? task.runs,
  };
}

/** Checks every case, then times encode and decode of those the filter selects. */
export function runSuite(cases: readonly BenchCase[], options: SuiteOptions): CaseResult[] {
  const results: CaseResult[] = [];
  for (const c of cases) {
    let bytes = 0;
    let roundTrip = "ok";
    try {
      bytes = verifyRoundTrip(c).bytes;
    } catch (e) {
      roundTrip = e instanceof Error ? e.message : String(e);
    }
    const selected = roundTrip === "ok" && (options.filter === undefined || options.filter.test(c.name));
    let encode: TaskTiming | null = null;
    let decode: TaskTiming | null = null;
    if (selected) {
      const wire = c.encode(c.input);
      const bench = new Bench({
        time: options.timeMs,
        warmupTime: options.warmupMs,
        warmupIterations: 8,
        iterations: 16,
        throws: true,
      });
      bench.add("encode", () => {
        sink = c.encode(c.input);
      });
      bench.add("decode", () => {
        sink = c.decode(wire);
      });
      bench.runSync();
      encode = timing(bench.tasks[0]);
      decode = timing(bench.tasks[1]);
      options.log?.(`  ${c.name.padEnd(32)} enc ${fmtNs(encode?.nsPerOp)}  dec ${fmtNs(decode?.nsPerOp)}  ${bytes} B`);
    } else if (roundTrip !== "ok") {
      options.log?.(`  ${c.name.padEnd(32)} ROUND-TRIP FAILED: ${roundTrip}`);
    }
    results.push({ name: c.name, payload: c.payload, encoding: c.encoding, bytes, roundTrip, encode, decode });
  }
  return results;
}

/** Formats nanoseconds with a unit. */
export function fmtNs(ns: number | undefined | null): string {
  if (ns === undefined || ns === null) return "-";
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} µs`;
  return `${ns.toFixed(0)} ns`;
}

/** Encode + decode ns of a case, or null if either was not timed. */
export function roundTripNs(r: CaseResult | undefined): number | null {
  return r?.encode && r.decode ? r.encode.nsPerOp + r.decode.nsPerOp : null;
}

function find(results: readonly CaseResult[], payload: string, encoding: string): CaseResult | undefined {
  return results.find((r) => r.payload === payload && r.encoding === encoding && r.roundTrip === "ok");
}

function payloads(results: readonly CaseResult[]): string[] {
  return [...new Set(results.map((r) => r.payload))];
}

/** Wire bytes of every checked case, with its size relative to Ollama JSON of the same payload. */
export function sizeTable(results: readonly CaseResult[]): SizeRow[] {
  return results
    .filter((r) => r.roundTrip === "ok")
    .map((r) => {
      const json = find(results, r.payload, "ollama-json")?.bytes ?? Number.NaN;
      return { payload: r.payload, encoding: r.encoding, bytes: r.bytes, vsOllamaJson: r.bytes / json };
    });
}

/** Protobuf binary against Ollama's JSON, size and speed, per payload class. */
export function protobufVsJson(results: readonly CaseResult[]): ProtobufVsJson[] {
  const rows: ProtobufVsJson[] = [];
  for (const payload of payloads(results)) {
    const pb = find(results, payload, "protobuf");
    const json = find(results, payload, "ollama-json");
    if (!pb || !json) continue;
    const saving = (1 - pb.bytes / json.bytes) * 100;
    const pbNs = roundTripNs(pb);
    const jsonNs = roundTripNs(json);
    rows.push({
      payload,
      protobufBytes: pb.bytes,
      jsonBytes: json.bytes,
      sizeSavingPercent: saving,
      withinClaimed60to70: saving >= 60 && saving <= 70,
      speedup: pbNs && jsonNs ? jsonNs / pbNs : null,
      protobufNs: pbNs,
      jsonNs,
    });
  }
  return rows;
}

/** The MCP frame's encode+decode against bare Protobuf's, per payload class (only where both were timed). */
export function mcpVsProtobuf(results: readonly CaseResult[], target = 1.15): McpVsProtobuf[] {
  const rows: McpVsProtobuf[] = [];
  for (const payload of payloads(results)) {
    const mcp = find(results, payload, "mcp");
    const pb = find(results, payload, "protobuf");
    const mcpNs = roundTripNs(mcp);
    const pbNs = roundTripNs(pb);
    if (!mcp || !pb || mcpNs === null || pbNs === null) continue;
    rows.push({
      payload,
      mcpNs,
      protobufNs: pbNs,
      ratio: mcpNs / pbNs,
      withinTarget: mcpNs / pbNs <= target,
      overheadBytes: mcp.bytes - pb.bytes,
    });
  }
  return rows;
}
