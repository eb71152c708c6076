import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { UsageError } from "../usage-error.js";

/**
 * One request of a trace: when it arrives (ms after the trace's start) and what it asks for. The prompt is either
 * the text itself or a length (a prompt of that many words is made up, about one token each).
 */
export interface TraceEntry {
  /** Arrival, ms after the trace's start (non-decreasing down the file). */
  offsetMs: number;
  /** The prompt text, when the trace carries it. */
  prompt?: string;
  /** The prompt's length in words (≈ tokens), when the trace carries a length instead of the text. */
  promptTokens?: number;
  /** Output tokens to ask for (`num_predict`); the workload's `--tokens` when absent. */
  maxTokens?: number;
  /** The model to ask a real engine for (the synthetic engine ignores it). */
  model?: string;
}

/** A parsed trace and where it came from (the result records all but the entries). */
export interface TraceSource {
  /** The file as given. */
  file: string;
  /** SHA-256 of the file's bytes (hex, first 16 characters): which trace a result replayed. */
  digest: string;
  /** Requests in the trace. */
  requests: number;
  /** The last arrival's offset, ms. */
  spanMs: number;
  /** The requests, in arrival order (dropped from recorded results). */
  entries?: TraceEntry[];
}

/** Limits on a trace file: every bound a line or the file can break, with a coded error naming it. */
export const TRACE_LIMITS = {
  fileBytes: 32 * 1024 * 1024,
  lineBytes: 1024 * 1024,
  requests: 200_000,
  offsetMs: 24 * 3600_000,
  tokens: 1_000_000,
  modelChars: 256,
} as const;

/** Why a trace was refused. */
export type TraceErrorCode =
  | "file_too_large"
  | "too_many_requests"
  | "empty"
  | "line_too_long"
  | "not_json"
  | "not_an_object"
  | "bad_field"
  | "missing_field"
  | "conflicting_fields"
  | "out_of_order";

/** A trace file that cannot be replayed: a usage error (exit 2) with a code and the 1-based line it is about. */
export class TraceError extends UsageError {
  override name = "TraceError";
  constructor(
    readonly code: TraceErrorCode,
    readonly file: string,
    readonly line: number | undefined,
    detail: string,
  ) {
    super(`--trace ${file}: ${line !== undefined ? `line ${line}: ` : ""}${detail} [${code}]`);
  }
}

// Field names, with the names Mooncake-style traces use for the same thing (timestamp, input_length, output_length).
const ALIASES = {
  offsetMs: ["offset_ms", "timestamp"],
  promptTokens: ["prompt_tokens", "input_length"],
  maxTokens: ["max_tokens", "output_length"],
} as const;

function pick(o: Record<string, unknown>, names: readonly string[], fail: (c: TraceErrorCode, m: string) => never) {
  const present = names.filter((n) => o[n] !== undefined);
  if (present.length > 1) fail("conflicting_fields", `both ${present.join(" and ")} given (they mean the same)`);
  return present.length === 1 ? { name: present[0], value: o[present[0]] } : undefined;
}

function intField(
  f: { name: string; value: unknown } | undefined,
  lo: number,
  hi: number,
  fail: (c: TraceErrorCode, m: string) => never,
): number | undefined {
  if (!f) return undefined;
  const n = f.value;
  if (
    typeof n !== "number" ||
    !Number.isFinite(n) ||
    n < lo ||
    n > hi ||
    (f.name !== "offset_ms" && !Number.isInteger(n))
  )
    fail(
      "bad_field",
      `${f.name} must be a${f.name === "offset_ms" ? "" : "n integer"} number in [${lo}, ${hi}], got ${JSON.stringify(n)}`,
    );
  return n as number;
}

/** Parses one line's object into an entry (throws via `fail`). */
function entryOf(o: Record<string, unknown>, fail: (c: TraceErrorCode, m: string) => never): TraceEntry {
  const off = pick(o, ALIASES.offsetMs, fail);
  if (!off) fail("missing_field", "offset_ms (the arrival, ms after the trace's start) is missing");
  const offsetMs = intField(off, 0, TRACE_LIMITS.offsetMs, fail)!;
  const entry: TraceEntry = { offsetMs };
  const pt = pick(o, ALIASES.promptTokens, fail);
  if (o.prompt !== undefined && pt) fail("conflicting_fields", `give prompt or ${pt.name}, not both`);
  if (o.prompt !== undefined) {
    if (typeof o.prompt !== "string" || o.prompt.length === 0) fail("bad_field", "prompt must be a non-empty string");
    entry.prompt = o.prompt;
  } else if (pt) entry.promptTokens = intField(pt, 1, TRACE_LIMITS.tokens, fail);
  else fail("missing_field", "needs prompt (the text) or prompt_tokens (its length)");
  const mt = intField(pick(o, ALIASES.maxTokens, fail), 1, TRACE_LIMITS.tokens, fail);
  if (mt !== undefined) entry.maxTokens = mt;
  if (o.model !== undefined) {
    if (typeof o.model !== "string" || o.model.length === 0 || o.model.length > TRACE_LIMITS.modelChars)
      fail("bad_field", `model must be a string of 1 to ${TRACE_LIMITS.modelChars} characters`);
    entry.model = o.model;
  }
  return entry;
}

/**
 * Parses a JSONL trace: one object per line (blank lines skipped) with `offset_ms` (or `timestamp`), `prompt` or
 * `prompt_tokens` (or `input_length`), optionally `max_tokens` (or `output_length`) and `model`; other fields are
 * ignored. Arrivals must be in order. Every malformed line is a {@link TraceError} naming the line.
 */
export function parseTrace(text: string, file: string): TraceSource {
  if (Buffer.byteLength(text) > TRACE_LIMITS.fileBytes)
    throw new TraceError("file_too_large", file, undefined, `larger than ${TRACE_LIMITS.fileBytes / 1048576} MiB`);
  const entries: TraceEntry[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].endsWith("\r") ? lines[i].slice(0, -1) : lines[i];
    if (raw.trim() === "") continue;
    const fail = (code: TraceErrorCode, m: string): never => {
      throw new TraceError(code, file, i + 1, m);
    };
    if (Buffer.byteLength(raw) > TRACE_LIMITS.lineBytes)
      fail("line_too_long", `longer than ${TRACE_LIMITS.lineBytes / 1048576} MiB`);
    if (entries.length >= TRACE_LIMITS.requests)
      fail("too_many_requests", `more than ${TRACE_LIMITS.requests} requests (split the trace)`);
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch (e) {
      fail("not_json", `not JSON (${(e as Error).message})`);
    }
    if (!v || typeof v !== "object" || Array.isArray(v)) fail("not_an_object", "expected a JSON object");
    const entry = entryOf(v as Record<string, unknown>, fail);
    const prev = entries[entries.length - 1];
    if (prev && entry.offsetMs < prev.offsetMs)
      fail(
        "out_of_order",
        `offset_ms ${entry.offsetMs} is before the previous line's ${prev.offsetMs} (sort by arrival)`,
      );
    entries.push(entry);
  }
  if (entries.length === 0) throw new TraceError("empty", file, undefined, "no requests in it");
  return {
    file,
    digest: createHash("sha256").update(text).digest("hex").slice(0, 16),
    requests: entries.length,
    spanMs: entries[entries.length - 1].offsetMs,
    entries,
  };
}

/** Reads and parses a trace file, refusing one over the size limit before reading it. */
export async function readTraceFile(path: string): Promise<TraceSource> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (e) {
    throw new UsageError(`--trace ${path}: cannot read it (${(e as Error).message})`);
  }
  if (size > TRACE_LIMITS.fileBytes)
    throw new TraceError("file_too_large", path, undefined, `larger than ${TRACE_LIMITS.fileBytes / 1048576} MiB`);
  return parseTrace(await readFile(path, "utf8"), path);
}

/** Writes entries as JSONL in the format {@link parseTrace} reads (offsets rounded to µs). */
export function formatTrace(entries: readonly TraceEntry[]): string {
  return entries
    .map((e) =>
      JSON.stringify({
        offset_ms: Math.round(e.offsetMs * 1000) / 1000,
        ...(e.prompt !== undefined ? { prompt: e.prompt } : { prompt_tokens: e.promptTokens }),
        ...(e.maxTokens !== undefined ? { max_tokens: e.maxTokens } : {}),
        ...(e.model !== undefined ? { model: e.model } : {}),
      }),
    )
    .map((l) => `${l}\n`)
    .join("");
}
