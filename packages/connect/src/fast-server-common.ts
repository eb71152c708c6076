import type * as http2 from "node:http2";
import type { DescMessage } from "@bufbuild/protobuf";
import { Code, InferenceService, ModelwireError, type ServerObserver } from "@modelwire/core";
import type { Engine } from "@modelwire/engine";
import { protocolError } from "./errors.js";
import type { ServerWire } from "./server-wires.js";
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

/** The constant-time `authorization: Bearer <token>` check (SHA-256 digests compared), built once per handler. */
export { createBearerCheck } from "@modelwire/core/token";

/**
 * Checks a call's headers before it starts: bearer auth (UNAUTHENTICATED), then the wire's deadline header
 * (malformed, or over `maxTimeoutMs`: INVALID_ARGUMENT). Returns the error to end the call with, or the timeout in
 * ms (undefined: none).
 */
export function checkCallHeaders(
  headers: http2.IncomingHttpHeaders,
  wire: Pick<ServerWire, "timeout">,
  authorized: (header: string | undefined) => boolean,
  maxTimeoutMs: number | undefined,
): ModelwireError | number | undefined {
  if (!authorized(headers.authorization)) {
    return protocolError("missing or invalid bearer token", Code.Unauthenticated);
  }
  return wire.timeout(headers, maxTimeoutMs);
}

/** One request header as the engine's request metadata (a repeated header reads as its first value). */
export function headerText(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
