import type { Timestamp } from "@bufbuild/protobuf/wkt";
import type { ChatResponse } from "./gen/modelwire/v1/chat_pb.js";
import type { CacheHit, GenerateResponse, Metrics } from "./gen/modelwire/v1/generate_pb.js";

/**
 * Object-literal constructors for the messages every streamed token creates: the reply chunks, their metrics and
 * their `created_at` timestamp. Each returns exactly what protobuf-es `create(Schema, init)` returns (same keys,
 * same `$typeName`, message fields absent when not given; pinned by messages.test.ts, which also fails when the
 * schema gains a field), without the reflection: `create()` walks the descriptor for every field, about 1 µs per
 * GenerateResponse on this machine, which was a tenth of the MCP server's CPU per one-token request and the same
 * again on the client. Use `create()` everywhere else.
 *
 * @module
 */

/** Fields of a GenerateResponse; omitted ones take their zero value (message fields stay unset). */
export interface GenerateResponseFields {
  model?: string;
  createdAt?: Timestamp;
  response?: string;
  thinking?: string;
  done?: boolean;
  doneReason?: string;
  context?: number[];
  metrics?: Metrics;
  cacheHit?: CacheHit;
}

/** A `modelwire.v1.GenerateResponse`, equal to `create(GenerateResponseSchema, f)`. */
export function newGenerateResponse(f: GenerateResponseFields): GenerateResponse {
  const m = {
    $typeName: "modelwire.v1.GenerateResponse",
    model: f.model ?? "",
    response: f.response ?? "",
    thinking: f.thinking ?? "",
    done: f.done ?? false,
    doneReason: f.doneReason ?? "",
    context: f.context ?? [],
  } as GenerateResponse;
  if (f.createdAt !== undefined) m.createdAt = f.createdAt;
  if (f.metrics !== undefined) m.metrics = f.metrics;
  if (f.cacheHit !== undefined) m.cacheHit = f.cacheHit;
  return m;
}

/** Fields of a ChatResponse's assistant message (the synthetic engine's and the decoders' common case). */
export interface ChatResponseFields {
  model?: string;
  createdAt?: Timestamp;
  role?: string;
  content?: string;
  thinking?: string;
  done?: boolean;
  doneReason?: string;
  metrics?: Metrics;
  cacheHit?: CacheHit;
}

/**
 * A `modelwire.v1.ChatResponse` whose `message` has only role, content and thinking set (no images, tool calls
 * or tool name), equal to `create(ChatResponseSchema, { ..., message: { role, content, thinking } })`.
 */
export function newChatResponse(f: ChatResponseFields): ChatResponse {
  const m = {
    $typeName: "modelwire.v1.ChatResponse",
    model: f.model ?? "",
    done: f.done ?? false,
    doneReason: f.doneReason ?? "",
  } as ChatResponse;
  if (f.createdAt !== undefined) m.createdAt = f.createdAt;
  m.message = {
    $typeName: "modelwire.v1.Message",
    role: f.role ?? "",
    content: f.content ?? "",
    thinking: f.thinking ?? "",
    images: [],
    toolCalls: [],
    toolName: "",
  };
  if (f.metrics !== undefined) m.metrics = f.metrics;
  if (f.cacheHit !== undefined) m.cacheHit = f.cacheHit;
  return m;
}

/** A `modelwire.v1.Metrics`, equal to `create(MetricsSchema, {...})` with every field given. */
export function newMetrics(
  totalDuration: bigint,
  loadDuration: bigint,
  promptEvalCount: number,
  promptEvalDuration: bigint,
  evalCount: number,
  evalDuration: bigint,
): Metrics {
  return {
    $typeName: "modelwire.v1.Metrics",
    totalDuration,
    loadDuration,
    promptEvalCount,
    promptEvalDuration,
    evalCount,
    evalDuration,
  };
}

/** A `google.protobuf.Timestamp`, equal to `create(TimestampSchema, { seconds, nanos })`. */
export function newTimestamp(seconds: bigint, nanos: number): Timestamp {
  return { $typeName: "google.protobuf.Timestamp", seconds, nanos };
}

/** The Timestamp of epoch milliseconds `ms` (≥ 0), equal to protobuf-es `timestampFromMs(ms)`. */
export function timestampOfMs(ms: number): Timestamp {
  const seconds = Math.floor(ms / 1000);
  return { $typeName: "google.protobuf.Timestamp", seconds: BigInt(seconds), nanos: (ms - seconds * 1000) * 1_000_000 };
}
