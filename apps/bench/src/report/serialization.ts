import { readFile } from "node:fs/promises";
import type { BenchResult } from "../result.js";

/** The subset of `reports/serialization.json` (format `modelwire.serialization/v1`) the bench joins. */
export interface SerializationCases {
  format: string;
  cases: Array<{
    payload: string;
    encoding: string;
    bytes: number;
    encode: { nsPerOp: number } | null;
    decode: { nsPerOp: number } | null;
  }>;
}

const MAX_FILE = 32 * 1024 * 1024;

/** Reads the serialization report if it exists and has the expected shape; undefined otherwise. */
export async function readSerializationReport(path: string): Promise<SerializationCases | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return undefined;
  }
  if (text.length > MAX_FILE) return undefined;
  try {
    const v = JSON.parse(text) as Partial<SerializationCases>;
    if (typeof v.format !== "string" || !v.format.startsWith("modelwire.serialization/") || !Array.isArray(v.cases))
      return undefined;
    return v as SerializationCases;
  } catch {
    return undefined;
  }
}

/** Which serialization-suite encodings each transport uses for its request and its stream chunks. */
const ENCODINGS: Record<string, { request: string; stream: string }> = {
  http: { request: "ollama-json", stream: "ollama-ndjson" },
  // The suite has no OpenAI request codec: a completions body is a JSON document of the same size class as Ollama's.
  openai: { request: "ollama-json", stream: "openai-sse" },
  "connect-grpc": { request: "grpc", stream: "grpc" },
  connect: { request: "grpc", stream: "grpc" },
  "grpc-web": { request: "grpc", stream: "grpc" },
  "grpc-js": { request: "grpc", stream: "grpc" },
  "mcp-tcp": { request: "mcp", stream: "mcp" },
  "mcp-uds": { request: "mcp", stream: "mcp" },
};

/** One transport's split: estimated serialization CPU vs everything else, per request. */
export interface SplitRow {
  transport: string;
  /** Encode + decode of the request and every chunk of the reply (both sides), µs, from the micro-benchmarks. */
  serializationUs: number;
  /** Server + generator CPU per request measured in the run, µs. */
  totalCpuUs: number;
  /** totalCpuUs − serializationUs: framing, network stack, runtime, engine. */
  restUs: number;
  /** serializationUs / totalCpuUs. */
  share: number;
}

/**
 * Joins micro-benchmark serialization costs with the run's measured CPU per request, for one scenario. The
 * serialization estimate is (request encode + decode) + (64-token stream encode + decode) × tokens / 64.
 */
export function serializationSplit(result: BenchResult, ser: SerializationCases, scenarioName?: string): SplitRow[] {
  const sr = result.scenarios.find((s) => s.scenario.name === scenarioName) ?? result.scenarios[0];
  if (!sr) return [];
  const ns = (payload: string, encoding: string) => {
    const c = ser.cases.find((x) => x.payload === payload && x.encoding === encoding);
    if (!c?.encode || !c.decode) return undefined;
    return c.encode.nsPerOp + c.decode.nsPerOp;
  };
  const tokens = sr.scenario.workload.outputTokens;
  const rows: SplitRow[] = [];
  for (const s of sr.summaries) {
    const enc = ENCODINGS[s.transport];
    if (!enc) continue;
    const req = ns("req-small", enc.request);
    const stream = ns("stream-64", enc.stream);
    if (req === undefined || stream === undefined) continue;
    const serializationUs = (req + (stream * tokens) / 64) / 1000;
    const totalCpuUs = s.figures.serverCpuPerRequestUs.median + s.figures.generatorCpuPerRequestUs.median;
    if (!Number.isFinite(totalCpuUs) || totalCpuUs <= 0) continue;
    rows.push({
      transport: s.transport,
      serializationUs,
      totalCpuUs,
      restUs: Math.max(0, totalCpuUs - serializationUs),
      share: serializationUs / totalCpuUs,
    });
  }
  return rows;
}
