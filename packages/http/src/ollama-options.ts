import { create } from "@bufbuild/protobuf";
import { invalidArgument, type Options, OptionsSchema } from "@modelwire/core";
import { INT32, isRecord, type JsonRecord, jsonTypeName } from "./json-read.js";

type Kind = "int" | "int64" | "float" | "bool" | "strings";

/** Ollama's option keys (api/types.go `Options` and `Runner`) that the contract carries, with their Go types. */
const OPTION_FIELDS: ReadonlyArray<readonly [jsonKey: string, field: keyof Options & string, kind: Kind]> = [
  ["num_keep", "numKeep", "int"],
  ["seed", "seed", "int64"],
  ["num_predict", "numPredict", "int"],
  ["top_k", "topK", "int"],
  ["top_p", "topP", "float"],
  ["min_p", "minP", "float"],
  ["typical_p", "typicalP", "float"],
  ["repeat_last_n", "repeatLastN", "int"],
  ["temperature", "temperature", "float"],
  ["repeat_penalty", "repeatPenalty", "float"],
  ["presence_penalty", "presencePenalty", "float"],
  ["frequency_penalty", "frequencyPenalty", "float"],
  ["stop", "stop", "strings"],
  ["num_ctx", "numCtx", "int"],
  ["num_batch", "numBatch", "int"],
  ["num_gpu", "numGpu", "int"],
  ["main_gpu", "mainGpu", "int"],
  ["use_mmap", "useMmap", "bool"],
  ["num_thread", "numThread", "int"],
];

/** The `options` keys the contract carries, in Ollama's spelling. Other keys are accepted and ignored. */
export const OLLAMA_OPTION_KEYS: readonly string[] = OPTION_FIELDS.map(([k]) => k);

const TYPE_NAME: Record<Kind, string> = {
  int: "integer",
  int64: "integer",
  float: "float",
  bool: "boolean",
  strings: "array of strings",
};

function wrong(key: string, kind: Kind, v: unknown) {
  const field = `options.${key}`;
  return invalidArgument(field, `option "${key}" must be of type ${TYPE_NAME[kind]}, got ${jsonTypeName(v)}`);
}

/**
 * Reads Ollama's `options` object into the typed contract. Types are checked as Ollama's `Options.FromMap` checks
 * them: integers accept any JSON number (a fraction is truncated, as Go's `int64(float64)` does) within the field's
 * range, floats any number a float32 holds,
 * booleans only `true`/`false`, `stop` an array of strings. A wrong type throws InvalidArgument with the field
 * `options.<key>`; unknown keys and `null` values are ignored.
 */
export function optionsFromJson(v: unknown): Options | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isRecord(v)) throw invalidArgument("options", `options must be a JSON object, got ${jsonTypeName(v)}`);
  const init: Record<string, unknown> = {};
  for (const [key, field, kind] of OPTION_FIELDS) {
    const raw = v[key];
    if (raw === undefined || raw === null) continue;
    switch (kind) {
      case "int": {
        if (typeof raw !== "number") throw wrong(key, kind, raw);
        const n = Math.trunc(raw);
        if (n < INT32[0] || n > INT32[1]) {
          throw invalidArgument(`options.${key}`, `option "${key}" is out of range: ${raw}`);
        }
        init[field] = n;
        break;
      }
      case "int64": {
        if (typeof raw !== "number") throw wrong(key, kind, raw);
        if (!Number.isSafeInteger(Math.trunc(raw))) {
          throw invalidArgument(`options.${key}`, `option "${key}" is out of range: ${raw}`);
        }
        init[field] = BigInt(Math.trunc(raw));
        break;
      }
      case "float": {
        if (typeof raw !== "number") throw wrong(key, kind, raw);
        // A float32: a number past its range (3.4e38, or a huge text JSON.parse made Infinity) is refused here,
        // whatever engine serves the call (an upstream would get `null` for Infinity).
        const f = Math.fround(raw);
        if (!Number.isFinite(f)) throw invalidArgument(`options.${key}`, `option "${key}" is out of range: ${raw}`);
        init[field] = f;
        break;
      }
      case "bool":
        if (typeof raw !== "boolean") throw wrong(key, kind, raw);
        init[field] = raw;
        break;
      case "strings":
        if (!Array.isArray(raw) || raw.some((s) => typeof s !== "string")) throw wrong(key, kind, raw);
        init[field] = raw;
        break;
    }
  }
  return create(OptionsSchema, init);
}

/** Writes the typed options as Ollama's `options` object (only the fields that are set). */
export function optionsToJson(o: Options): JsonRecord {
  const out: JsonRecord = {};
  for (const [key, field, kind] of OPTION_FIELDS) {
    const v = o[field];
    if (kind === "strings") {
      if ((v as string[]).length > 0) out[key] = [...(v as string[])];
    } else if (v !== undefined) {
      out[key] = typeof v === "bigint" ? Number(v) : v;
    }
  }
  return out;
}
