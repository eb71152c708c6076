import { Code, codeName } from "./code.js";

/** Key/value pairs attached to an error, e.g. the offending field or the HTTP status seen. */
export type ErrorMetadata = Record<string, string>;

/**
 * The one error type of modelwire. Every transport, server and client throws it, so a caller handles an
 * `InvalidArgument` from MCP exactly as one from HTTP or gRPC.
 *
 * The message shown by `.message` is prefixed with the code name (`[not_found] model 'x' not found`); the bare
 * text is `.rawMessage`, which is what goes on the wire.
 */
export class ModelwireError extends Error {
  /** The status code. */
  readonly code: Code;
  /** The message without the code prefix. */
  readonly rawMessage: string;
  /** Extra facts about the failure (field name, HTTP status, stream id ...). */
  readonly metadata: ErrorMetadata;
  override name = "ModelwireError";

  constructor(message: string, code: Code = Code.Unknown, metadata: ErrorMetadata = {}, cause?: unknown) {
    super(`[${codeName(code)}] ${message}`, cause === undefined ? undefined : { cause });
    Object.setPrototypeOf(this, new.target.prototype);
    this.code = code;
    this.rawMessage = message;
    this.metadata = metadata;
  }

  /**
   * Turns anything caught into a ModelwireError. A ModelwireError is returned as it is; an abort (`AbortError`,
   * a `DOMException` named `AbortError`) becomes `Canceled`, a `TimeoutError` becomes `DeadlineExceeded`, a
   * Node connection error (`ECONNREFUSED`, `ECONNRESET`, `EPIPE`, ...) becomes `Unavailable`; the rest is
   * `fallback` (default `Unknown`).
   */
  static from(reason: unknown, fallback: Code = Code.Unknown): ModelwireError {
    if (reason instanceof ModelwireError) return reason;
    if (reason instanceof Error || isErrorLike(reason)) {
      const err = reason as Error & { code?: unknown };
      if (err.name === "AbortError") {
        // An AbortSignal's reason may itself be a ModelwireError (e.g. a deadline), carried as `cause`.
        if ((err as { cause?: unknown }).cause instanceof ModelwireError)
          return (err as { cause: ModelwireError }).cause;
        return new ModelwireError(err.message || "operation was aborted", Code.Canceled, {}, reason);
      }
      if (err.name === "TimeoutError") {
        return new ModelwireError(err.message || "deadline exceeded", Code.DeadlineExceeded, {}, reason);
      }
      if (typeof err.code === "string" && NETWORK_ERRNOS.has(err.code)) {
        return new ModelwireError(`${err.code}: ${err.message}`, Code.Unavailable, { errno: err.code }, reason);
      }
      return new ModelwireError(err.message, fallback, {}, reason);
    }
    return new ModelwireError(String(reason), fallback, {}, reason);
  }
}

/** Node errno strings that mean "the peer is not there (any more)". */
const NETWORK_ERRNOS = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ECONNABORTED",
  "ENOENT",
  "ERR_SOCKET_CLOSED",
  "ERR_STREAM_PREMATURE_CLOSE",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_CONNECT_TIMEOUT",
]);

function isErrorLike(v: unknown): boolean {
  return typeof v === "object" && v !== null && "message" in v && "name" in v;
}

/** Shorthand for `new ModelwireError(message, Code.InvalidArgument, { field })`, naming the offending field. */
export function invalidArgument(field: string, message: string): ModelwireError {
  return new ModelwireError(message, Code.InvalidArgument, { field });
}

/** Ollama's own wording for an unknown model: `model 'x' not found`. */
export function modelNotFound(model: string): ModelwireError {
  return new ModelwireError(`model '${model}' not found`, Code.NotFound, { model });
}
