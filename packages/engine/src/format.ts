import { invalidArgument } from "@modelwire/core";
import { createPrng, hash32, type Prng } from "./prng.js";
import { type JsonSchema, type JsonValue, sampleSchema } from "./schema-sample.js";
import { VOCABULARY } from "./vocabulary.js";

/** A request's `format`: Ollama's JSON mode, or a JSON schema the reply must validate against. */
export type OutputFormat = { kind: "json" } | { kind: "schema"; schema: JsonSchema };

/** Largest `format` text accepted (a schema), in UTF-16 code units. */
export const MAX_FORMAT_LENGTH = 1024 * 1024;

/**
 * Reads the contract's `format` field (the JSON text of Ollama's `format`: `"json"` or a schema object; empty when
 * absent). Throws `InvalidArgument` naming `format` for anything else.
 */
export function parseFormat(text: string): OutputFormat | undefined {
  if (text === "") return undefined;
  if (text.length > MAX_FORMAT_LENGTH) {
    throw invalidArgument("format", `format is ${text.length} characters long; at most ${MAX_FORMAT_LENGTH}`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw invalidArgument("format", `format is not valid JSON text: ${(e as Error).message}`);
  }
  if (v === "" || v === null) return undefined;
  if (v === "json") return { kind: "json" };
  if (typeof v === "object" && !Array.isArray(v)) return { kind: "schema", schema: v as JsonSchema };
  throw invalidArgument("format", `invalid format: expected "json" or a JSON schema object, got ${JSON.stringify(v)}`);
}

/**
 * The text of the document a formatted reply streams, whose chunks ({@link chunksOf}: each a run of non-space
 * characters with the whitespace before it) are the reply's tokens. For `"json"`, an object with about `size` chunks
 * of fields; for a schema, the deterministic document {@link sampleSchema} builds, which validates against it. The
 * text is laid out as Python's `json.dumps` does (`", "` and `": "` separators), so the chunks are word-like.
 * Throws `InvalidArgument` naming `format` when the schema cannot be satisfied.
 */
export function formatText(format: OutputFormat, seed: number, size: number): string {
  const prng = createPrng(hash32(seed, "format"));
  return serialize(format.kind === "json" ? jsonModeDocument(prng, size) : sampleSchema(format.schema, prng));
}

/** The chunk pattern: whitespace then non-whitespace, or trailing whitespace (never an empty match). */
const CHUNK = /\s*\S+|\s+$/g;

/** Splits text into runs of whitespace followed by non-whitespace (the first may have no whitespace). */
export function chunksOf(text: string): string[] {
  return text.match(CHUNK) ?? [];
}

/** The chunks of `text` ({@link chunksOf}) one at a time: `undefined` after the last. */
export function chunkReader(text: string): () => string | undefined {
  const re = new RegExp(CHUNK.source, "g");
  let over = false;
  return () => {
    if (over) return undefined;
    const m = re.exec(text);
    if (m === null) over = true;
    return m?.[0];
  };
}

/** JSON text with `", "` and `": "` separators. */
export function serialize(v: JsonValue): string {
  if (Array.isArray(v)) return `[${v.map(serialize).join(", ")}]`;
  if (v !== null && typeof v === "object") {
    return `{${Object.entries(v)
      .map(([k, x]) => `${JSON.stringify(k)}: ${serialize(x)}`)
      .join(", ")}}`;
  }
  return JSON.stringify(v);
}

/** An object of vocabulary-named fields with about `size` chunks: phrases, integers, booleans, word lists. */
function jsonModeDocument(prng: Prng, size: number): JsonValue {
  const out: Record<string, JsonValue> = {};
  let chunks = 1;
  while (chunks < size || Object.keys(out).length === 0) {
    let key = word(prng);
    while (key in out) key = `${key}_${Object.keys(out).length}`;
    const pick = prng.int(4);
    let value: JsonValue;
    if (pick === 0) {
      const n = 1 + prng.int(4);
      value = Array.from({ length: n }, () => word(prng)).join(" ");
      chunks += n;
    } else if (pick === 1) {
      value = prng.int(1000);
      chunks += 1;
    } else if (pick === 2) {
      value = prng.int(2) === 1;
      chunks += 1;
    } else {
      const n = 1 + prng.int(3);
      value = Array.from({ length: n }, () => word(prng));
      chunks += n;
    }
    out[key] = value;
    chunks += 1;
  }
  return out;
}

function word(prng: Prng): string {
  return VOCABULARY[prng.int(VOCABULARY.length)];
}
