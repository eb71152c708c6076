/**
 * The engine contract: what every modelwire server calls ({@link Engine}) and what it hands the engine with each
 * call ({@link EngineContext}). Implementations (the synthetic engine, the upstream Ollama engine, the gateway's
 * wrappers) live in @modelwire/engine and the gateway; a client-only consumer needs none of them.
 *
 * @module
 */
import type { ChatRequest, ChatResponse } from "./gen/modelwire/v1/chat_pb.js";
import type { GenerateRequest, GenerateResponse } from "./gen/modelwire/v1/generate_pb.js";
import type {
  EmbedRequest,
  EmbedResponse,
  ListModelsResponse,
  ListRunningResponse,
  ShowModelRequest,
  ShowModelResponse,
  VersionResponse,
} from "./gen/modelwire/v1/models_pb.js";

/** What a server hands the engine with every call. */
export interface EngineContext {
  /**
   * Fires when the caller goes away, cancels, or the call's deadline passes. Its `reason` is a ModelwireError
   * (`Canceled` or `DeadlineExceeded`); the engine stops promptly and throws that reason.
   */
  signal: AbortSignal;
  /** The call's deadline as epoch milliseconds, if it has one (informational: `signal` enforces it). */
  deadline?: number;
  /**
   * Optional: `true` once `signal` has fired. A server that creates `signal` only when an engine first reads it
   * ({@link createEngineContext}; an AbortController costs about a microsecond, a tenth of the MCP server's CPU
   * per one-token request) provides it, so an engine that only polls never forces the signal into existence.
   * Engines read it through {@link isAborted}.
   */
  readonly aborted?: boolean;
  /**
   * Optional: one entry of the metadata the caller sent with the request (an HTTP header, gRPC/Connect metadata,
   * an MCP OPEN metadata entry) by lower-case key, or `undefined` when absent. Servers that carry request metadata
   * provide it; the gateway's response cache reads `x-modelwire-cache` through it.
   */
  requestMetadata?(key: string): string | undefined;
}

/** Whether the call behind `ctx` was cancelled or timed out, without creating a lazily made signal. */
export function isAborted(ctx: EngineContext): boolean {
  const a = ctx.aborted;
  return a === undefined ? ctx.signal.aborted : a;
}

/**
 * What every modelwire server calls: Ollama's API as methods over the shared contract's messages. The synthetic
 * engine and the upstream (real Ollama) engine implement it.
 *
 * Streams yield content chunks and then exactly one final chunk with `done: true`, `done_reason` and metrics.
 * Failures are thrown as ModelwireError. A stream's failure may surface synchronously from `generate`/`chat` or
 * from its first `next()` (an upstream engine only learns of an unknown model from the reply): a server pulls the
 * first chunk before it commits a success status.
 */
export interface Engine {
  /** Streams a completion. */
  generate(request: GenerateRequest, ctx: EngineContext): AsyncIterable<GenerateResponse>;
  /** Streams a chat reply. */
  chat(request: ChatRequest, ctx: EngineContext): AsyncIterable<ChatResponse>;
  /** Embeds inputs. */
  embed(request: EmbedRequest, ctx: EngineContext): Promise<EmbedResponse>;
  /** Lists models. */
  list(ctx: EngineContext): Promise<ListModelsResponse>;
  /** Lists loaded models. */
  running(ctx: EngineContext): Promise<ListRunningResponse>;
  /** Describes one model. */
  show(request: ShowModelRequest, ctx: EngineContext): Promise<ShowModelResponse>;
  /** The version string the server reports. */
  version(ctx: EngineContext): Promise<VersionResponse>;
  /** Counters since start (or the last reset). */
  stats(): EngineStats;
  /** Zeroes the counters. */
  resetStats(): void;
  /** Releases resources (upstream connections). */
  close(): Promise<void>;
}

/** Counters an engine keeps. */
export interface EngineStats {
  /** Streams and unary calls started. */
  requests: number;
  /** Calls in progress now. */
  inFlight: number;
  /** Content tokens produced. */
  tokens: number;
  /**
   * Calls that ended because the caller cancelled or the deadline passed, including streams whose consumer stopped
   * pulling (`return()`) before the final chunk.
   */
  cancelled: number;
  /** Calls that failed for another reason. */
  errors: number;
}

/**
 * The key of an optional method on the iterator of a stream an engine returns (generate, chat):
 * `iterator[ON_STREAM_END](fn)` registers `fn`, which the stream calls exactly once when it ends in any way — the
 * `next()` that returns `done`, a `next()` that rejects, the consumer's `return()` or `throw()` — or at once when it
 * already ended. One callback per stream (a second registration replaces the first). A wrapper that only needs to
 * know the end (the admission guard, which releases its slot then) can hand the stream's own results through
 * untouched instead of adding a `then` to every chunk; an engine whose streams do not offer it is wrapped as before.
 */
export const ON_STREAM_END: unique symbol = Symbol.for("modelwire.onStreamEnd");

/** A stream iterator that offers {@link ON_STREAM_END}. */
export interface StreamEndHook {
  [ON_STREAM_END](fn: () => void): void;
}

/** The stream's end hook when `it` offers one (see {@link ON_STREAM_END}), else `undefined`. */
export function streamEndHook(it: object): ((fn: () => void) => void) | undefined {
  const hook = (it as Partial<StreamEndHook>)[ON_STREAM_END];
  return typeof hook === "function" ? (fn) => hook.call(it, fn) : undefined;
}

/** A context with a signal that never fires, for direct calls in scripts and tests. */
export function backgroundContext(): EngineContext {
  return { signal: new AbortController().signal };
}
