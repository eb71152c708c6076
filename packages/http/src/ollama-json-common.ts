/**
 * What the Ollama JSON mappings share: body and reply checks, `format`, `think`, `keep_alive`, timestamps, the metrics
 * Ollama flattens into a final chunk, and the cache-hit extension.
 */

import { create, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import {
  type CacheHit,
  CacheHitSchema,
  invalidArgument,
  type Metrics,
  MetricsSchema,
  type Think,
  ThinkSchema,
} from "@modelwire/core";
import { keepAliveFromJson } from "./go-duration.js";
import {
  checkInteger,
  INT32,
  isRecord,
  type JsonRecord,
  jsonTypeName,
  path,
  readInt32,
  readInt64,
  readOptionalRecord,
} from "./json-read.js";
import type { OllamaCacheHitJson, OllamaMetricsJson, OllamaThinkJson } from "./ollama-json-types.js";
import { formatRfc3339, parseRfc3339 } from "./rfc3339.js";

/** A request body: a JSON object, else InvalidArgument. */
export function body(obj: unknown): JsonRecord {
  if (!isRecord(obj)) {
    throw invalidArgument("", `request body must be a JSON object, got ${jsonTypeName(obj)}`);
  }
  return obj;
}

/** A reply (`what` names it in the error): a JSON object, else InvalidArgument. */
export function reply(obj: unknown, what: string): JsonRecord {
  if (!isRecord(obj)) throw invalidArgument("", `${what} must be a JSON object, got ${jsonTypeName(obj)}`);
  return obj;
}

/** Reads `format`: "json" or a JSON schema object, kept as its JSON text ("" when absent). */
export function formatFromJson(v: unknown): string {
  if (v === undefined || v === null || v === "") return "";
  if (v === "json" || isRecord(v)) return JSON.stringify(v);
  throw invalidArgument("format", `invalid format: expected "json" or a valid JSON schema, got ${jsonTypeName(v)}`);
}

/** Writes `format` back as Ollama's JSON (`"json"` or the schema object); undefined when unset. */
export function formatToJson(text: string): JsonValue | undefined {
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as JsonValue;
  } catch (e) {
    throw invalidArgument("format", `format is not valid JSON text: ${(e as Error).message}`);
  }
}

/** The `think` levels Ollama accepts besides a boolean. */
export const THINK_LEVELS = new Set(["high", "medium", "low", "max"]);

/** Reads `think`: a boolean (or `"true"`/`"false"`) or a level. */
export function thinkFromJson(v: unknown): Think | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "boolean") return create(ThinkSchema, { value: { case: "enabled", value: v } });
  if (v === "true" || v === "false") return create(ThinkSchema, { value: { case: "enabled", value: v === "true" } });
  if (typeof v === "string" && THINK_LEVELS.has(v)) return create(ThinkSchema, { value: { case: "level", value: v } });
  throw invalidArgument(
    "think",
    `think must be a boolean or a string ("high", "medium", "low", "max"), got ${JSON.stringify(v)}`,
  );
}

/** Writes `think` as Ollama's JSON; undefined when unset. */
export function thinkToJson(t: Think | undefined): OllamaThinkJson | undefined {
  if (!t || t.value.case === undefined) return undefined;
  return t.value.value;
}

/** Reads `keep_alive` (a Go duration string or seconds); undefined when absent. */
export function keepAlive(o: JsonRecord) {
  const v = o.keep_alive;
  return v === undefined || v === null ? undefined : keepAliveFromJson(v, "keep_alive");
}

/** One int32 array item (`readArray`'s item reader). */
export function int32Item(v: unknown, field: string): number {
  return checkInteger(v, field, INT32[0], INT32[1]);
}

/** Reads an RFC 3339 timestamp key; undefined when absent. */
export function timestamp(o: JsonRecord, key: string, parent = "") {
  const v = o[key];
  return v === undefined || v === null ? undefined : parseRfc3339(v, path(parent, key));
}

/** Reads an optional JSON object key as a protobuf `JsonObject`. */
export function jsonObject(o: JsonRecord, key: string, parent: string): JsonObject | undefined {
  return readOptionalRecord(o, key, parent) as JsonObject | undefined;
}

/** The duration and count keys Ollama flattens into a final chunk. */
export const METRIC_KEYS = [
  "total_duration",
  "load_duration",
  "prompt_eval_count",
  "prompt_eval_duration",
  "eval_count",
  "eval_duration",
] as const;

/** Metrics are present on a chunk when any of the six keys is. */
export function metricsFromJson(o: JsonRecord): Metrics | undefined {
  if (!METRIC_KEYS.some((k) => o[k] !== undefined && o[k] !== null)) return undefined;
  return create(MetricsSchema, {
    totalDuration: readInt64(o, "total_duration"),
    loadDuration: readInt64(o, "load_duration"),
    promptEvalCount: readInt32(o, "prompt_eval_count"),
    promptEvalDuration: readInt64(o, "prompt_eval_duration"),
    evalCount: readInt32(o, "eval_count"),
    evalDuration: readInt64(o, "eval_duration"),
  });
}

/** Flattens metrics into `out` as Ollama does (nanoseconds). */
export function metricsToJson(m: Metrics | undefined, out: OllamaMetricsJson): void {
  if (!m) return;
  out.total_duration = Number(m.totalDuration);
  out.load_duration = Number(m.loadDuration);
  out.prompt_eval_count = m.promptEvalCount;
  out.prompt_eval_duration = Number(m.promptEvalDuration);
  out.eval_count = m.evalCount;
  out.eval_duration = Number(m.evalDuration);
}

/** Writes the `modelwire_cache` extension of a reply served from the response cache. */
export function cacheHitToJson(h: CacheHit | undefined): OllamaCacheHitJson | undefined {
  if (!h) return undefined;
  const out: OllamaCacheHitJson = { hit: true };
  if (h.storedAt) out.stored_at = formatRfc3339(h.storedAt);
  if (h.originalMetrics) {
    out.original = {};
    metricsToJson(h.originalMetrics, out.original);
  }
  return out;
}

/** Reads the `modelwire_cache` extension; undefined when absent. */
export function cacheHitFromJson(o: JsonRecord): CacheHit | undefined {
  const c = readOptionalRecord(o, "modelwire_cache");
  if (!c) return undefined;
  const original = readOptionalRecord(c, "original", "modelwire_cache");
  return create(CacheHitSchema, {
    storedAt: timestamp(c, "stored_at", "modelwire_cache"),
    originalMetrics: original ? metricsFromJson(original) : undefined,
  });
}
