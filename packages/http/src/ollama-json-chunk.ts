/**
 * The writer of one streamed chunk of Ollama's reply (`/api/generate`, `/api/chat`), parameterised by the message
 * kind: the keys every chunk has in one order, with the kind's own keys at fixed places in it.
 */

import type { Timestamp } from "@bufbuild/protobuf/wkt";
import type { CacheHit, Metrics } from "@modelwire/core";
import { cacheHitToJson, metricsToJson } from "./ollama-json-common.js";
import type { OllamaChunkJson } from "./ollama-json-types.js";
import { formatRfc3339 } from "./rfc3339.js";

/** The fields of the contract's generate and chat chunks that Ollama's chunks share. */
export interface ChunkFields {
  model: string;
  createdAt?: Timestamp;
  done: boolean;
  doneReason: string;
  metrics?: Metrics;
  cacheHit?: CacheHit;
}

/** What one kind of chunk writes besides the shared keys. */
export interface ChunkKind<M extends ChunkFields, J extends OllamaChunkJson> {
  /** The first keys, as one object literal (one shape per kind, and fast): `model`, the kind's content, `done`. */
  head(msg: M): J;
  /** The kind's optional keys after `created_at`. */
  afterCreatedAt?(msg: M, out: J): void;
  /** The kind's optional keys after `done_reason`. */
  afterDoneReason?(msg: M, out: J): void;
}

/**
 * Writes one chunk as Ollama does: the kind's head (`model`, its content, `done`), then the set ones of
 * `created_at`, the kind's first optional keys, `done_reason`, its last ones, the metrics (flattened, nanoseconds)
 * and modelwire's cache field.
 */
export function chunkToJson<M extends ChunkFields, J extends OllamaChunkJson>(kind: ChunkKind<M, J>, msg: M): J {
  const out = kind.head(msg);
  if (msg.createdAt) out.created_at = formatRfc3339(msg.createdAt);
  kind.afterCreatedAt?.(msg, out);
  if (msg.doneReason) out.done_reason = msg.doneReason;
  kind.afterDoneReason?.(msg, out);
  metricsToJson(msg.metrics, out);
  const cache = cacheHitToJson(msg.cacheHit);
  if (cache) out.modelwire_cache = cache;
  return out;
}
