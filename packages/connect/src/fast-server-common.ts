import type * as http2 from "node:http2";
import { type DescMessage, fromBinary, type MessageShape } from "@bufbuild/protobuf";
import { Code, InferenceService, ModelwireError, type ServerObserver } from "@modelwire/core";
import type { Engine } from "@modelwire/engine";
import { decodeError, parseGrpcTimeout, readUnaryEnvelope } from "./grpc-wire.js";
import type { InFlightCounter } from "./service.js";

/** What the server's fast-path handlers ({@link createFastUnaryHandler}, {@link createFastStreamingHandler}) need. */
export interface FastHandlerOptions {
  engine: Engine;
  observer: ServerObserver;
  counter: InFlightCounter;
  readMaxBytes: number;
  writeMaxBytes: number;
  maxTimeoutMs?: number;
  authToken?: string;
  /** Fires when the server gives up on calls in flight (after the close grace period). */
  shutdownSignal: AbortSignal;
}

/** One InferenceService method a fast path serves: observer name, message schemas and the engine call `F`. */
export interface FastRoute<F> {
  method: string;
  input: DescMessage;
  output: DescMessage;
  call: F;
}

/** The status trailers of a successful call. */
export const OK_TRAILERS = { "grpc-status": "0" };
/** Ends a call whose client reset the stream (or whose connection died). */
export const CANCELED = new ModelwireError("canceled by the client", Code.Canceled);
/** Ends the calls still in flight when the server gives up on them. */
export const SHUTDOWN = new ModelwireError("server shutting down", Code.Unavailable);

/**
 * The route table of a fast path: `/<service>/<Method>` → route, for the InferenceService methods of `kind` that
 * `table` (keyed by the method's local name) has an engine call for.
 */
export function buildRoutes<F>(
  kind: "unary" | "server_streaming",
  table: Record<string, { method: string; call: F }>,
): Map<string, FastRoute<F>> {
  const routes = new Map<string, FastRoute<F>>();
  for (const m of InferenceService.methods) {
    const r = table[m.localName];
    if (m.methodKind !== kind || !r) continue;
    routes.set(`/${InferenceService.typeName}/${m.name}`, {
      method: r.method,
      input: m.input,
      output: m.output,
      call: r.call,
    });
  }
  return routes;
}

/**
 * The request's content type when a fast path may take it (`application/grpc` or `application/grpc+proto`, no
 * `grpc-encoding` other than `identity`), else undefined: connect-node serves it.
 */
export function fastGrpcContentType(headers: http2.IncomingHttpHeaders): string | undefined {
  const contentType = headers["content-type"];
  if (contentType !== "application/grpc" && contentType !== "application/grpc+proto") return undefined;
  const encoding = headers["grpc-encoding"];
  if (encoding !== undefined && encoding !== "identity") return undefined;
  return contentType;
}

/** The constant-time `authorization: Bearer <token>` check (SHA-256 digests compared), built once per handler. */
export { createBearerCheck } from "@modelwire/core/token";

/**
 * Checks a call's headers before it starts: bearer auth (UNAUTHENTICATED), then `grpc-timeout` (malformed, or over
 * `maxTimeoutMs`: INVALID_ARGUMENT). Returns the error to end the call with, or the timeout in ms (undefined: none).
 */
export function checkCallHeaders(
  headers: http2.IncomingHttpHeaders,
  authorized: (header: string | undefined) => boolean,
  maxTimeoutMs: number | undefined,
): ModelwireError | number | undefined {
  if (!authorized(headers.authorization)) {
    return new ModelwireError("missing or invalid bearer token", Code.Unauthenticated);
  }
  const timeoutMs = parseGrpcTimeout(headers["grpc-timeout"] as string | undefined);
  if (timeoutMs === null) {
    return new ModelwireError(
      `protocol error: invalid grpc timeout value: ${headers["grpc-timeout"]}`,
      Code.InvalidArgument,
    );
  }
  if (timeoutMs !== undefined && maxTimeoutMs !== undefined && timeoutMs > maxTimeoutMs) {
    return new ModelwireError(`timeout ${timeoutMs}ms must be <= ${maxTimeoutMs}`, Code.InvalidArgument);
  }
  return timeoutMs;
}

/**
 * Decodes the one enveloped request message of a call from its whole body (the chunks read), or returns the coded error to end the
 * call with (envelope errors name a "server-streaming method" when `streaming`, as connect-node's do).
 */
export function decodeRequest(
  input: DescMessage,
  chunks: Buffer[],
  readMaxBytes: number,
  streaming: boolean,
): MessageShape<DescMessage> | ModelwireError {
  const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
  const env = readUnaryEnvelope(body, readMaxBytes);
  if (!env.ok) {
    return new ModelwireError(
      streaming ? env.message.replace("unary method", "server-streaming method") : env.message,
      env.code,
    );
  }
  try {
    return fromBinary(input, env.message);
  } catch (e) {
    return decodeError(input.typeName, e, Code.InvalidArgument);
  }
}

/** One request header as the engine's request metadata (a repeated header reads as its first value). */
export function headerText(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
