/**
 * `/api/embed` and the legacy `/api/embeddings`, Ollama's JSON to and from the contract's messages.
 */

import { create } from "@bufbuild/protobuf";
import {
  type EmbedRequest,
  EmbedRequestSchema,
  type EmbedResponse,
  EmbedResponseSchema,
  invalidArgument,
} from "@modelwire/core";
import { keepAliveToJson } from "./go-duration.js";
import {
  jsonTypeName,
  path,
  readArray,
  readInt32,
  readInt64,
  readOptionalBool,
  readString,
  stringItem,
} from "./json-read.js";
import { body, keepAlive, reply } from "./ollama-json-common.js";
import type {
  OllamaEmbeddingsResponseJson,
  OllamaEmbedRequestJson,
  OllamaEmbedResponseJson,
} from "./ollama-json-types.js";
import { optionsFromJson, optionsToJson } from "./ollama-options.js";

/** Reads a `POST /api/embed` body; `input` may be one string or an array of strings. */
export function embedRequestFromJson(obj: unknown): EmbedRequest {
  const o = body(obj);
  let input: string[];
  // An empty string is no input at all (Ollama then only loads the model).
  if (typeof o.input === "string") input = o.input === "" ? [] : [o.input];
  else input = readArray(o, "input", "", stringItem);
  const dimensions = readInt32(o, "dimensions");
  return create(EmbedRequestSchema, {
    model: readString(o, "model"),
    input,
    truncate: readOptionalBool(o, "truncate"),
    keepAlive: keepAlive(o),
    options: optionsFromJson(o.options),
    dimensions,
  });
}

/** Writes an embed request as Ollama's JSON body (`input` always an array). */
export function embedRequestToJson(msg: EmbedRequest): OllamaEmbedRequestJson {
  const out: OllamaEmbedRequestJson = { model: msg.model, input: [...msg.input] };
  if (msg.truncate !== undefined) out.truncate = msg.truncate;
  if (msg.keepAlive) out.keep_alive = keepAliveToJson(msg.keepAlive);
  if (msg.options) out.options = optionsToJson(msg.options);
  if (msg.dimensions !== 0) out.dimensions = msg.dimensions;
  return out;
}

/** Writes an embed reply as Ollama does (its durations and count are `omitempty`: absent when zero). */
export function embedResponseToJson(msg: EmbedResponse): OllamaEmbedResponseJson {
  const out: OllamaEmbedResponseJson = { model: msg.model, embeddings: msg.embeddings.map((e) => [...e.values]) };
  if (msg.totalDuration !== 0n) out.total_duration = Number(msg.totalDuration);
  if (msg.loadDuration !== 0n) out.load_duration = Number(msg.loadDuration);
  if (msg.promptEvalCount !== 0) out.prompt_eval_count = msg.promptEvalCount;
  return out;
}

function vector(v: unknown, field: string): { values: number[] } {
  if (!Array.isArray(v)) throw invalidArgument(field, `${field} must be an array of numbers, got ${jsonTypeName(v)}`);
  const values = v.map((x, i) => {
    if (typeof x !== "number") throw invalidArgument(path(field, i), `${path(field, i)} must be a number`);
    return Math.fround(x);
  });
  return { values };
}

/** Reads Ollama's embed reply. */
export function embedResponseFromJson(obj: unknown): EmbedResponse {
  const o = reply(obj, "embed response");
  return create(EmbedResponseSchema, {
    model: readString(o, "model"),
    embeddings: readArray(o, "embeddings", "", vector),
    totalDuration: readInt64(o, "total_duration"),
    loadDuration: readInt64(o, "load_duration"),
    promptEvalCount: readInt32(o, "prompt_eval_count"),
  });
}

/** Reads a legacy `POST /api/embeddings` body (`prompt`, one text) as an embed request of one input. */
export function embeddingsRequestFromJson(obj: unknown): EmbedRequest {
  const o = body(obj);
  const prompt = readString(o, "prompt");
  return create(EmbedRequestSchema, {
    model: readString(o, "model"),
    input: prompt === "" ? [] : [prompt],
    keepAlive: keepAlive(o),
    options: optionsFromJson(o.options),
  });
}

/** Writes an embed reply as the legacy `/api/embeddings` reply (the first vector, or `[]`). */
export function embeddingsResponseToJson(msg: EmbedResponse): OllamaEmbeddingsResponseJson {
  return { embedding: msg.embeddings.length > 0 ? [...msg.embeddings[0].values] : [] };
}
