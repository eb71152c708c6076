/** Runs the cases under tinybench and derives the comparison tables. */
import { Bench, type Task } from "tinybench";
import { MCP_PART_PREFIX, MCP_PARTS, MCP_REFLECTIVE_WRAP } from "./cases.js";
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

/** Target duration of one timed sample: inner calls are batched up to this so timer overhead stays negligible. */
export const TARGET_SAMPLE_NS = 25_000;

/** How many calls of `fn` make one sample of about {@link TARGET_SAMPLE_NS} (1 to 1000). */
export function batchSize(fn: () => void): number {
  for (let i = 0; i < 3; i++) fn(); // first calls compile
  let n = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (n < 1000 && elapsed < TARGET_SAMPLE_NS * 4) {
    fn();
    n++;
    elapsed = Number(process.hrtime.bigint() - start);
  }
  return Math.max(1, Math.min(1000, Math.round(TARGET_SAMPLE_NS / (elapsed / n))));
}

function timing(task: Task, batch: number): TaskTiming | null {
  const r = task.result;
  if (r.state !== "completed") return null;
  return {
    nsPerOp: (r.latency.mean * 1e6) / batch,
    opsPerSec: r.throughput.mean * batch,
    rmePercent: r.latency.rme,
    p50Ns: (r.latency.p50 * 1e6) / batch,
    p99Ns: (r.latency.p99 * 1e6) / batch,
    samples: (r.latency.samples?.length ?? task.runs) * batch,
    batch,
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
      const encodeOnce = () => {
        sink = c.encode(c.input);
      };
      const decodeOnce = () => {
        sink = c.decode(wire);
      };
      const encodeBatch = batchSize(encodeOnce);
      const decodeBatch = batchSize(decodeOnce);
      bench.add("encode", () => {
        for (let i = 0; i < encodeBatch; i++) encodeOnce();
      });
      bench.add("decode", () => {
        for (let i = 0; i < decodeBatch; i++) decodeOnce();
      });
      bench.runSync();
      encode = timing(bench.tasks[0], encodeBatch);
      decode = timing(bench.tasks[1], decodeBatch);
      options.log?.(
        `  ${c.name.padEnd(32)} enc ${fmtNs(encode?.p50Ns)}  dec ${fmtNs(decode?.p50Ns)}  ${bytes} B  (medians)`,
      );
    } else if (roundTrip !== "ok") {
      options.log?.(`  ${c.name.padEnd(32)} ROUND-TRIP FAILED: ${roundTrip}`);
    }
    const kind = c.encoding.startsWith(MCP_PART_PREFIX) ? "mcp-part" : "encoding";
    results.push({ name: c.name, payload: c.payload, encoding: c.encoding, kind, bytes, roundTrip, encode, decode });
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

/**
 * Encode + decode ns of a case from the sample medians (robust to the preemption and GC spikes of a shared
 * machine, which inflate means), or null if either was not timed.
 */
export function roundTripNs(r: CaseResult | undefined): number | null {
  return r?.encode && r.decode ? r.encode.p50Ns + r.decode.p50Ns : null;
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
    .filter((r) => r.roundTrip === "ok" && r.kind === "encoding")
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
    const partsNs = roundTripNs(find(results, payload, MCP_PARTS));
    const isRequest = payload.startsWith("req-");
    const layers = [{ layer: "protobuf", ns: pbNs }];
    for (const part of results.filter(
      (r) =>
        r.payload === payload &&
        r.kind === "mcp-part" &&
        r.encoding !== MCP_PARTS &&
        r.encoding !== MCP_REFLECTIVE_WRAP,
    )) {
      const ns = roundTripNs(part);
      if (ns !== null) layers.push({ layer: part.encoding, ns });
    }
    rows.push({
      payload,
      mcpNs,
      protobufNs: pbNs,
      ratio: mcpNs / pbNs,
      withinTarget: mcpNs / pbNs <= target,
      overheadBytes: mcp.bytes - pb.bytes,
      layers: layers.length > 1 ? layers : [],
      // The `mcp` request case is the fused path itself (InferenceRequest written in place).
      fusedRatio: isRequest ? mcpNs / pbNs : null,
      partsRatio: partsNs === null ? null : partsNs / pbNs,
      reflectiveWrapNs: roundTripNs(find(results, payload, MCP_REFLECTIVE_WRAP)),
    });
  }
  return rows;
}
