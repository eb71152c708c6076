import { Code, ModelwireError } from "@modelwire/core";
import { isRecord } from "./json-read.js";
import { errorFromJson } from "./ollama-error.js";

/** Limits of the NDJSON decoder. */
export interface NdjsonOptions {
  /** Longest line accepted, in bytes (excluding the newline). Default {@link DEFAULT_MAX_LINE_BYTES}. */
  maxLineBytes?: number;
}

/** 8 MiB: far above any chunk Ollama sends (a final chunk with a long `context` is tens of KiB). */
export const DEFAULT_MAX_LINE_BYTES = 8 * 1024 * 1024;

/**
 * An incremental newline-delimited JSON decoder. Bytes go in in any chunking (a line split over many chunks, many
 * lines in one chunk, a multi-byte UTF-8 character split across chunks); complete lines come out parsed.
 * Blank lines and a trailing `\r` are ignored.
 */
export interface NdjsonDecoder {
  /** Adds bytes; returns the values of the lines they complete. Throws a coded ModelwireError on a bad line. */
  push(chunk: Uint8Array): unknown[];
  /** Ends input; returns the value of a last line that had no newline (if any). */
  end(): unknown[];
  /** Bytes held for an incomplete line. */
  readonly pendingBytes: number;
  /** Lines decoded so far. */
  readonly lines: number;
}

const NL = 0x0a;

/**
 * Creates an {@link NdjsonDecoder}. Errors: a line longer than `maxLineBytes` → `ResourceExhausted` (thrown as
 * soon as the buffered part exceeds it, so memory stays bounded); invalid UTF-8 → `DataLoss`; invalid JSON →
 * `Internal` (the peer broke the protocol), each with the 1-based `line` in the metadata.
 */
export function createNdjsonDecoder(options: NdjsonOptions = {}): NdjsonDecoder {
  const max = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  if (!Number.isInteger(max) || max < 1) {
    throw new ModelwireError(`maxLineBytes must be a positive integer, got ${max}`, Code.InvalidArgument, {
      field: "maxLineBytes",
    });
  }
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let lines = 0;

  const tooLong = (n: number) =>
    new ModelwireError(`NDJSON line exceeds ${max} bytes`, Code.ResourceExhausted, {
      line: String(lines + 1),
      limit: String(max),
      bytes: String(n),
    });

  function parseLine(bytes: Uint8Array, out: unknown[]): void {
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === 0x0d) end--;
    lines++;
    if (end === 0) return;
    let text: string;
    try {
      text = decoder.decode(end === bytes.length ? bytes : bytes.subarray(0, end));
    } catch (e) {
      throw new ModelwireError("NDJSON line is not valid UTF-8", Code.DataLoss, { line: String(lines) }, e);
    }
    if (text.trim() === "") return;
    try {
      out.push(JSON.parse(text));
    } catch (e) {
      throw new ModelwireError(
        `NDJSON line ${lines} is not valid JSON: ${(e as Error).message}`,
        Code.Internal,
        { line: String(lines) },
        e,
      );
    }
  }

  function takePending(tail: Uint8Array): Uint8Array {
    const all = new Uint8Array(pendingBytes + tail.length);
    let o = 0;
    for (const p of pending) {
      all.set(p, o);
      o += p.length;
    }
    all.set(tail, o);
    pending = [];
    pendingBytes = 0;
    return all;
  }

  return {
    get pendingBytes() {
      return pendingBytes;
    },
    get lines() {
      return lines;
    },
    push(chunk) {
      const out: unknown[] = [];
      let start = 0;
      let nl = chunk.indexOf(NL, start);
      while (nl !== -1) {
        const part = chunk.subarray(start, nl);
        const total = pendingBytes + part.length;
        if (total > max + 1) throw tooLong(total);
        const line = pendingBytes > 0 ? takePending(part) : part;
        if (total === max + 1 && line[total - 1] !== 0x0d) throw tooLong(total);
        parseLine(line, out);
        start = nl + 1;
        nl = chunk.indexOf(NL, start);
      }
      if (start < chunk.length) {
        const rest = chunk.subarray(start);
        // +1 allows the '\r' of a CRLF line of exactly `max` bytes.
        if (pendingBytes + rest.length > max + 1) throw tooLong(pendingBytes + rest.length);
        // Copy: the caller may reuse its buffer.
        pending.push(rest.slice());
        pendingBytes += rest.length;
      }
      return out;
    },
    end() {
      const out: unknown[] = [];
      if (pendingBytes > 0) {
        const line = takePending(new Uint8Array(0));
        if (line.length > max && line[line.length - 1] !== 0x0d) throw tooLong(line.length);
        parseLine(line, out);
      }
      return out;
    },
  };
}

function toBytes(chunk: Uint8Array | string): Uint8Array {
  return typeof chunk === "string" ? new TextEncoder().encode(chunk) : chunk;
}

/** Parses an NDJSON byte stream into its values, one per line. See {@link createNdjsonDecoder} for the errors. */
export async function* parseNdjson(
  source: AsyncIterable<Uint8Array | string>,
  options?: NdjsonOptions,
): AsyncGenerator<unknown> {
  const d = createNdjsonDecoder(options);
  for await (const chunk of source) yield* d.push(toBytes(chunk));
  yield* d.end();
}

/**
 * Reads one Ollama streamed reply: each line is converted with `fromJson`; the stream ends at the chunk with
 * `done: true`. An `{"error": "..."}` line throws that error (coded by {@link errorFromJson}); a stream that ends
 * before a `done: true` chunk throws `Aborted`; a line `fromJson` rejects throws `Internal`.
 */
export async function* readOllamaStream<T extends { done: boolean }>(
  source: AsyncIterable<Uint8Array | string>,
  fromJson: (obj: unknown) => T,
  options?: NdjsonOptions,
): AsyncGenerator<T> {
  let count = 0;
  for await (const value of parseNdjson(source, options)) {
    if (isRecord(value) && value.error !== undefined) throw errorFromJson(value);
    let chunk: T;
    try {
      chunk = fromJson(value);
    } catch (e) {
      const why = e instanceof ModelwireError ? e.rawMessage : String(e);
      throw new ModelwireError(`malformed stream chunk ${count + 1}: ${why}`, Code.Internal, {}, e);
    }
    count++;
    yield chunk;
    if (chunk.done) return;
  }
  throw new ModelwireError(`stream ended after ${count} chunk(s) without a final chunk (done: true)`, Code.Aborted, {
    chunks: String(count),
  });
}
