/**
 * The status codes every modelwire transport reports. They are the 16 gRPC status codes, with the same numbers, so
 * a gRPC status, a Connect error code and an MCP error frame carry the same value.
 *
 * @see https://grpc.github.io/grpc/core/md_doc_statuscodes.html
 */
export enum Code {
  /** Not an error; never carried by a {@link ModelwireError}. */
  Ok = 0,
  /** The operation was cancelled, typically by the caller (an AbortSignal fired). */
  Canceled = 1,
  /** An unknown error, e.g. an exception that carries no code. */
  Unknown = 2,
  /** The caller sent something invalid: a malformed frame, body or option. */
  InvalidArgument = 3,
  /** The deadline expired before the operation completed. */
  DeadlineExceeded = 4,
  /** A requested entity, such as a model, was not found. */
  NotFound = 5,
  /** The entity the caller tried to create already exists. */
  AlreadyExists = 6,
  /** The caller is authenticated but may not do this. */
  PermissionDenied = 7,
  /** A limit was hit: message size, concurrency, queue length. */
  ResourceExhausted = 8,
  /** The system is not in a state required for the operation. */
  FailedPrecondition = 9,
  /** The operation was aborted, e.g. a stream was reset or a sequence gap was detected. */
  Aborted = 10,
  /** The operation went past the valid range. */
  OutOfRange = 11,
  /** The operation is not implemented or not supported by this server. */
  Unimplemented = 12,
  /** An invariant broke inside the server. */
  Internal = 13,
  /** The service is unavailable: connection refused, reset, lost or shutting down. Usually worth a retry. */
  Unavailable = 14,
  /** Unrecoverable data loss or corruption. */
  DataLoss = 15,
  /** The caller did not present valid credentials. */
  Unauthenticated = 16,
}

const names: Record<Code, string> = {
  [Code.Ok]: "ok",
  [Code.Canceled]: "canceled",
  [Code.Unknown]: "unknown",
  [Code.InvalidArgument]: "invalid_argument",
  [Code.DeadlineExceeded]: "deadline_exceeded",
  [Code.NotFound]: "not_found",
  [Code.AlreadyExists]: "already_exists",
  [Code.PermissionDenied]: "permission_denied",
  [Code.ResourceExhausted]: "resource_exhausted",
  [Code.FailedPrecondition]: "failed_precondition",
  [Code.Aborted]: "aborted",
  [Code.OutOfRange]: "out_of_range",
  [Code.Unimplemented]: "unimplemented",
  [Code.Internal]: "internal",
  [Code.Unavailable]: "unavailable",
  [Code.DataLoss]: "data_loss",
  [Code.Unauthenticated]: "unauthenticated",
};

/** The snake_case name of a code, as the Connect protocol spells it (e.g. `"resource_exhausted"`). */
export function codeName(code: Code): string {
  return names[code] ?? `code_${code}`;
}

/** Parses a snake_case code name; returns `undefined` for anything else. */
export function codeFromName(name: string): Code | undefined {
  for (const [k, v] of Object.entries(names)) {
    if (v === name) return Number(k) as Code;
  }
  return undefined;
}

/** True for a number that is one of the 17 codes (0–16). */
export function isCode(value: unknown): value is Code {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 16;
}
