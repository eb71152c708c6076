/**
 * Ollama's JSON: the wire shapes of @modelwire/http (`generateRequestToJson` & co., images as base64, timestamps
 * as RFC 3339) through `JSON.stringify` / `JSON.parse` and UTF-8, and NDJSON line framing for streamed replies.
 */
import type { GenerateRequest, GenerateResponse } from "@modelwire/core";
import { Code, ModelwireError } from "@modelwire/core";
import {
  generateRequestFromJson,
  generateRequestToJson,
  generateResponseFromJson,
  generateResponseToJson,
} from "@modelwire/http";
import type { Codec, StreamCodec } from "./codec.js";
import { createLineReader, encodeLine } from "./ndjson.js";
import { checkSize } from "./protobuf.js";

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

function parse(bytes: Uint8Array): unknown {
  checkSize(bytes.length, "JSON document");
  try {
    return JSON.parse(utf8Decoder.decode(bytes));
  } catch (e) {
    throw new ModelwireError(`bad JSON: ${(e as Error).message}`, Code.InvalidArgument, undefined, e);
  }
}

function jsonCodec<T>(toJson: (m: T) => unknown, fromJson: (o: unknown) => T): Codec<T> {
  return {
    encode: (value) => utf8Encoder.encode(JSON.stringify(toJson(value))),
    decode: (bytes) => fromJson(parse(bytes)),
  };
}

/** A `POST /api/generate` body. */
export function ollamaJsonRequestCodec(): Codec<GenerateRequest> {
  return jsonCodec(generateRequestToJson, generateRequestFromJson);
}

/** One `/api/generate` reply chunk as a standalone JSON document. */
export function ollamaJsonResponseCodec(): Codec<GenerateResponse> {
  return jsonCodec(generateResponseToJson, generateResponseFromJson);
}

/** `/api/generate` reply chunks as NDJSON lines (what Ollama streams). */
export function ollamaNdjsonResponseCodec(): StreamCodec<GenerateResponse> {
  const json = ollamaJsonResponseCodec();
  return {
    encodeFrame: (value) => encodeLine(json.encode(value)),
    createReader() {
      const lines = createLineReader();
      return {
        get pending() {
          return lines.pending;
        },
        push: (chunk) => lines.push(chunk).map((line) => json.decode(line)),
      };
    },
  };
}
