/**
 * The "same data" that Avro and MessagePack carry: a plain object with Ollama's snake_case keys, images as raw
 * bytes (both formats have a bytes type, so no base64), timestamps and durations as `{seconds, nanos}`, int64
 * fields as JS numbers. Fields at their default are left out (as Ollama's `omitempty` does). Each codec maps a
 * Protobuf message to this shape and back, so every encoding starts from and returns the same application
 * object and the conversion is part of its measured cost.
 */
import { create } from "@bufbuild/protobuf";
import { DurationSchema, TimestampSchema } from "@bufbuild/protobuf/wkt";
import {
  type GenerateRequest,
  GenerateRequestSchema,
  type GenerateResponse,
  GenerateResponseSchema,
  MetricsSchema,
  type Options,
  OptionsSchema,
  ThinkSchema,
} from "@modelwire/core";

/** `{seconds, nanos}` of a Timestamp or Duration, seconds as a JS number. */
export interface SecondsNanos {
  seconds: number;
  nanos: number;
}

/** Value kinds of the Options fields, which decide their Avro type. */
export type OptionKind = "int" | "long" | "float" | "boolean" | "strings";

/** Each Options field: its Protobuf-es name, its Ollama key and its kind. */
export const OPTION_FIELDS: ReadonlyArray<readonly [keyof Options & string, string, OptionKind]> = [
  ["numKeep", "num_keep", "int"],
  ["seed", "seed", "long"],
  ["numPredict", "num_predict", "int"],
  ["topK", "top_k", "int"],
  ["topP", "top_p", "float"],
  ["minP", "min_p", "float"],
  ["typicalP", "typical_p", "float"],
  ["repeatLastN", "repeat_last_n", "int"],
  ["temperature", "temperature", "float"],
  ["repeatPenalty", "repeat_penalty", "float"],
  ["presencePenalty", "presence_penalty", "float"],
  ["frequencyPenalty", "frequency_penalty", "float"],
  ["stop", "stop", "strings"],
  ["numCtx", "num_ctx", "int"],
  ["numBatch", "num_batch", "int"],
  ["numGpu", "num_gpu", "int"],
  ["mainGpu", "main_gpu", "int"],
  ["useMmap", "use_mmap", "boolean"],
  ["numThread", "num_thread", "int"],
];

/** A GenerateRequest as a plain record. */
export interface RequestRecord {
  model: string;
  prompt: string;
  suffix?: string | null;
  system?: string | null;
  template?: string | null;
  context?: number[] | null;
  stream?: boolean | null;
  raw?: boolean | null;
  format?: string | null;
  keep_alive?: SecondsNanos | null;
  images?: Uint8Array[] | null;
  options?: Record<string, number | boolean | string[] | null | undefined> | null;
  think?: boolean | string | null;
}

/** The final chunk's metrics as a plain record. */
export interface MetricsRecord {
  total_duration: number;
  load_duration: number;
  prompt_eval_count: number;
  prompt_eval_duration: number;
  eval_count: number;
  eval_duration: number;
}

/** A GenerateResponse chunk as a plain record. */
export interface ResponseRecord {
  model: string;
  created_at?: SecondsNanos | null;
  response: string;
  thinking?: string | null;
  done: boolean;
  done_reason?: string | null;
  context?: number[] | null;
  metrics?: MetricsRecord | null;
}

const orUndefined = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);

/** Maps a GenerateRequest to its record. */
export function requestToRecord(m: GenerateRequest): RequestRecord {
  const r: RequestRecord = { model: m.model, prompt: m.prompt };
  if (m.suffix) r.suffix = m.suffix;
  if (m.system) r.system = m.system;
  if (m.template) r.template = m.template;
  if (m.context.length > 0) r.context = m.context;
  if (m.stream !== undefined) r.stream = m.stream;
  if (m.raw) r.raw = true;
  if (m.format) r.format = m.format;
  if (m.keepAlive) r.keep_alive = { seconds: Number(m.keepAlive.seconds), nanos: m.keepAlive.nanos };
  if (m.images.length > 0) r.images = m.images;
  if (m.options) {
    const o: Record<string, number | boolean | string[]> = {};
    for (const [name, key, kind] of OPTION_FIELDS) {
      const v = m.options[name];
      if (v === undefined) continue;
      if (kind === "strings") {
        if ((v as string[]).length > 0) o[key] = v as string[];
      } else o[key] = kind === "long" ? Number(v) : (v as number | boolean);
    }
    r.options = o;
  }
  if (m.think?.value.case !== undefined) r.think = m.think.value.value;
  return r;
}

/** Maps a record back to a GenerateRequest (null and absent mean "default"). */
export function requestFromRecord(r: RequestRecord): GenerateRequest {
  const m = create(GenerateRequestSchema, {
    model: r.model,
    prompt: r.prompt,
    suffix: r.suffix ?? "",
    system: r.system ?? "",
    template: r.template ?? "",
    context: r.context ?? [],
    stream: orUndefined(r.stream),
    raw: r.raw ?? false,
    format: r.format ?? "",
    images: r.images ?? [],
  });
  if (r.keep_alive)
    m.keepAlive = create(DurationSchema, { seconds: BigInt(r.keep_alive.seconds), nanos: r.keep_alive.nanos });
  if (r.options) {
    const o = create(OptionsSchema);
    const src = r.options;
    const dst = o as unknown as Record<string, unknown>;
    for (const [name, key, kind] of OPTION_FIELDS) {
      const v = src[key];
      if (v === undefined || v === null) continue;
      dst[name] = kind === "long" ? BigInt(v as number) : v;
    }
    m.options = o;
  }
  if (typeof r.think === "boolean") m.think = create(ThinkSchema, { value: { case: "enabled", value: r.think } });
  else if (typeof r.think === "string") m.think = create(ThinkSchema, { value: { case: "level", value: r.think } });
  return m;
}

/** Maps a GenerateResponse to its record. */
export function responseToRecord(m: GenerateResponse): ResponseRecord {
  const r: ResponseRecord = { model: m.model, response: m.response, done: m.done };
  if (m.createdAt) r.created_at = { seconds: Number(m.createdAt.seconds), nanos: m.createdAt.nanos };
  if (m.thinking) r.thinking = m.thinking;
  if (m.doneReason) r.done_reason = m.doneReason;
  if (m.context.length > 0) r.context = m.context;
  if (m.metrics) {
    const x = m.metrics;
    r.metrics = {
      total_duration: Number(x.totalDuration),
      load_duration: Number(x.loadDuration),
      prompt_eval_count: x.promptEvalCount,
      prompt_eval_duration: Number(x.promptEvalDuration),
      eval_count: x.evalCount,
      eval_duration: Number(x.evalDuration),
    };
  }
  return r;
}

/** Maps a record back to a GenerateResponse. */
export function responseFromRecord(r: ResponseRecord): GenerateResponse {
  const m = create(GenerateResponseSchema, {
    model: r.model,
    response: r.response,
    thinking: r.thinking ?? "",
    done: r.done,
    doneReason: r.done_reason ?? "",
    context: r.context ?? [],
  });
  if (r.created_at)
    m.createdAt = create(TimestampSchema, { seconds: BigInt(r.created_at.seconds), nanos: r.created_at.nanos });
  if (r.metrics) {
    const x = r.metrics;
    m.metrics = create(MetricsSchema, {
      totalDuration: BigInt(x.total_duration),
      loadDuration: BigInt(x.load_duration),
      promptEvalCount: x.prompt_eval_count,
      promptEvalDuration: BigInt(x.prompt_eval_duration),
      evalCount: x.eval_count,
      evalDuration: BigInt(x.eval_duration),
    });
  }
  return m;
}
