import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ChatRequestSchema, ChatResponse } from "./gen/modelwire/v1/chat_pb.js";
import type { GenerateRequestSchema, GenerateResponse } from "./gen/modelwire/v1/generate_pb.js";
import type {
  EmbedRequestSchema,
  EmbedResponse,
  ListModelsResponse,
  ListRunningResponse,
  ShowModelRequestSchema,
  ShowModelResponse,
  VersionResponse,
} from "./gen/modelwire/v1/models_pb.js";

/** Per-call options every transport honours. */
export interface CallOptions {
  /** Aborting it cancels the call: the server stops work and the iterator throws `Canceled`. */
  signal?: AbortSignal;
  /** Relative deadline in milliseconds from the call's start. It reaches the server where the protocol allows. */
  timeoutMs?: number;
  /** Absolute deadline as epoch milliseconds (`Date.now()` clock); the earlier of this and `timeoutMs` wins. */
  deadline?: number;
  /** Extra request metadata (HTTP headers, gRPC metadata, MCP metadata). */
  metadata?: Record<string, string>;
}

/** Connection or pool figures of a client at one instant. */
export interface ClientStats {
  /** Transport name, e.g. `"http"`, `"connect-grpc"`, `"mcp-tcp"`. */
  transport: string;
  /** Connections (sockets, HTTP/2 sessions) currently open. */
  open: number;
  /** Calls in flight on those connections. */
  active: number;
  /** Open connections with no call in flight. */
  idle: number;
  /** Calls waiting for a connection or a stream slot. */
  queued: number;
  /**
   * Connections opened since the client was created, reconnects included (a counter: the difference of two reads
   * is what opened between them). Absent when the transport cannot count them.
   */
  opened?: number;
  /**
   * Connections opened again after one was lost or retired (a counter), for transports that hold long-lived
   * connections (MCP, an HTTP/2 session); absent for per-request pools such as HTTP/1.1's, where `opened` says it.
   */
  reconnects?: number;
  /** Transport-specific extras (connection state, reconnects, RTT, ...). */
  extra?: Record<string, number | string>;
}

/** The request shapes a caller may pass (plain objects; `$typeName` is optional). */
export type GenerateRequestInit = MessageInitShape<typeof GenerateRequestSchema>;
/** See {@link GenerateRequestInit}. */
export type ChatRequestInit = MessageInitShape<typeof ChatRequestSchema>;
/** See {@link GenerateRequestInit}. */
export type EmbedRequestInit = MessageInitShape<typeof EmbedRequestSchema>;
/** See {@link GenerateRequestInit}. */
export type ShowModelRequestInit = MessageInitShape<typeof ShowModelRequestSchema>;

/**
 * The interface every modelwire transport's client implements, so the benchmark and applications can swap MCP,
 * Connect/gRPC and HTTP freely.
 *
 * Streams are async iterables of the shared contract's chunks; the last chunk has `done: true`. A failed call
 * throws (or the iterator throws) a {@link ModelwireError}. Breaking out of a `for await` loop cancels the call.
 */
export interface InferenceClient {
  /** The transport's name, e.g. `"mcp-tcp"`. */
  readonly transport: string;
  /** Streams a completion (Ollama `/api/generate`). */
  generate(request: GenerateRequestInit, options?: CallOptions): AsyncIterable<GenerateResponse>;
  /** Streams a chat reply (Ollama `/api/chat`). */
  chat(request: ChatRequestInit, options?: CallOptions): AsyncIterable<ChatResponse>;
  /** Embeds inputs (Ollama `/api/embed`). */
  embed(request: EmbedRequestInit, options?: CallOptions): Promise<EmbedResponse>;
  /** Lists models (Ollama `/api/tags`). */
  list(options?: CallOptions): Promise<ListModelsResponse>;
  /** Lists loaded models (Ollama `/api/ps`). */
  running(options?: CallOptions): Promise<ListRunningResponse>;
  /** Describes a model (Ollama `/api/show`). */
  show(request: ShowModelRequestInit, options?: CallOptions): Promise<ShowModelResponse>;
  /** The server's version (Ollama `/api/version`). */
  version(options?: CallOptions): Promise<VersionResponse>;
  /** Connection/pool figures now. */
  stats(): ClientStats;
  /** Closes connections; calls in flight fail with `Canceled` or finish, as the transport documents. */
  close(): Promise<void>;
}
