/**
 * `/api/generate`'s request and chunks, Ollama's JSON to and from the contract's messages.
 */

import { create } from "@bufbuild/protobuf";
import {
  type GenerateRequest,
  GenerateRequestSchema,
  type GenerateResponse,
  GenerateResponseSchema,
} from "@modelwire/core";
import { keepAliveToJson } from "./go-duration.js";
import { decodeBase64, encodeBase64, readArray, readBool, readOptionalBool, readString } from "./json-read.js";
import { type ChunkKind, chunkToJson } from "./ollama-json-chunk.js";
import {
  body,
  cacheHitFromJson,
  formatFromJson,
  formatToJson,
  int32Item,
  keepAlive,
  metricsFromJson,
  reply,
  thinkFromJson,
  thinkToJson,
  timestamp,
} from "./ollama-json-common.js";
import type { OllamaGenerateRequestJson, OllamaGenerateResponseJson } from "./ollama-json-types.js";
import { optionsFromJson, optionsToJson } from "./ollama-options.js";

/** Reads a `POST /api/generate` body. */
export function generateRequestFromJson(obj: unknown): GenerateRequest {
  const o = body(obj);
  return create(GenerateRequestSchema, {
    model: readString(o, "model"),
    prompt: readString(o, "prompt"),
    suffix: readString(o, "suffix"),
    system: readString(o, "system"),
    template: readString(o, "template"),
    context: readArray(o, "context", "", int32Item),
    stream: readOptionalBool(o, "stream"),
    raw: readBool(o, "raw"),
    format: formatFromJson(o.format),
    keepAlive: keepAlive(o),
    images: readArray(o, "images", "", decodeBase64),
    options: optionsFromJson(o.options),
    think: thinkFromJson(o.think),
  });
}

/** Writes a generate request as Ollama's JSON body (only fields that are set). */
export function generateRequestToJson(msg: GenerateRequest): OllamaGenerateRequestJson {
  const out: OllamaGenerateRequestJson = { model: msg.model };
  if (msg.prompt) out.prompt = msg.prompt;
  if (msg.suffix) out.suffix = msg.suffix;
  if (msg.system) out.system = msg.system;
  if (msg.template) out.template = msg.template;
  if (msg.context.length > 0) out.context = [...msg.context];
  if (msg.stream !== undefined) out.stream = msg.stream;
  if (msg.raw) out.raw = true;
  const format = formatToJson(msg.format);
  if (format !== undefined) out.format = format;
  if (msg.keepAlive) out.keep_alive = keepAliveToJson(msg.keepAlive);
  if (msg.images.length > 0) out.images = msg.images.map(encodeBase64);
  if (msg.options) out.options = optionsToJson(msg.options);
  const think = thinkToJson(msg.think);
  if (think !== undefined) out.think = think;
  return out;
}

/** A generate chunk: `response` always, `thinking` after `created_at` and `context` after `done_reason` when set. */
const GENERATE_CHUNK: ChunkKind<GenerateResponse, OllamaGenerateResponseJson> = {
  head: (msg) => ({ model: msg.model, response: msg.response, done: msg.done }),
  afterCreatedAt(msg, out) {
    if (msg.thinking) out.thinking = msg.thinking;
  },
  afterDoneReason(msg, out) {
    if (msg.context.length > 0) out.context = [...msg.context];
  },
};

/** Writes one generate chunk as Ollama does (`response` and `done` always; metrics flattened when set). */
export function generateResponseToJson(msg: GenerateResponse): OllamaGenerateResponseJson {
  return chunkToJson(GENERATE_CHUNK, msg);
}

/** Reads one generate chunk of Ollama's reply. */
export function generateResponseFromJson(obj: unknown): GenerateResponse {
  const o = reply(obj, "generate response");
  return create(GenerateResponseSchema, {
    model: readString(o, "model"),
    createdAt: timestamp(o, "created_at"),
    response: readString(o, "response"),
    thinking: readString(o, "thinking"),
    done: readBool(o, "done"),
    doneReason: readString(o, "done_reason"),
    context: readArray(o, "context", "", int32Item),
    metrics: metricsFromJson(o),
    cacheHit: cacheHitFromJson(o),
  });
}
