import type * as http2 from "node:http2";
import { ConnectError } from "@connectrpc/connect";
import {
  codeFromHttpStatus,
  codeToHttpStatus,
  createEndStreamSerialization,
  endStreamFlag,
  errorFromJsonBytes,
  errorToJsonBytes,
  parseTimeout,
} from "@connectrpc/connect/protocol-connect";
import type { Code, ModelwireError } from "@modelwire/core";
import { fromConnectError, protocolError } from "./errors.js";
import { flaggedEnvelope } from "./grpc-wire.js";

// The Connect protocol's status encodings (https://connectrpc.com/docs/protocol), for the fast paths. Every JSON
// document and status mapping is produced and parsed by connect-es's own protocol-connect functions (the exact
// version connect-node runs, pinned), so the bytes equal connect-node's by construction; only the framing around
// them is ours.

/** The flag of the Connect streaming end-stream frame. */
export const CONNECT_END_FLAG = endStreamFlag;

const endStream = createEndStreamSerialization(undefined);

/**
 * The end-stream frame of a successful Connect stream (`{}`: no error, no trailers). Written as the bytes
 * `endStream.serialize({ metadata: new Headers() })` produces (status-frames.test.ts pins them): a `Headers` at module
 * load would load Node's bundled undici into every gateway start-up (~9 MB RSS, tens of ms).
 */
export const CONNECT_END_OK: Buffer = flaggedEnvelope(endStreamFlag, Buffer.from("{}"));

/** The end-stream frame of a Connect stream that failed with `error`. */
export function connectEndFrame(error: ConnectError): Buffer {
  return flaggedEnvelope(endStreamFlag, endStream.serialize({ metadata: new Headers(), error }));
}

/** The response of a failed Connect unary call: the code's HTTP status, JSON headers and the error JSON body. */
export function connectUnaryError(error: ConnectError): {
  status: number;
  headers: http2.OutgoingHttpHeaders;
  body: Uint8Array;
} {
  const body = errorToJsonBytes(error, undefined);
  const headers: http2.OutgoingHttpHeaders = {};
  error.metadata.forEach((value, key) => {
    headers[key] = value;
  });
  headers["content-type"] = "application/json";
  headers["content-length"] = String(body.length);
  return { status: codeToHttpStatus(error.code), headers, body };
}

/**
 * A call's `connect-timeout-ms` header as connect-node reads it: milliseconds, undefined when absent, or
 * INVALID_ARGUMENT for a malformed value or one over `maxTimeoutMs`.
 */
export function connectTimeout(
  value: string | undefined,
  maxTimeoutMs: number | undefined,
): number | ModelwireError | undefined {
  if (value === undefined) return undefined;
  const t = parseTimeout(value, maxTimeoutMs ?? Number.MAX_SAFE_INTEGER);
  if (t.error) return protocolError(t.error.rawMessage, t.error.code as number as Code);
  return t.timeoutMs;
}

/** A `connect-timeout-ms` value for `ms` milliseconds (whole milliseconds, rounded up, at most 10 digits). */
export function connectTimeoutValue(ms: number): string {
  return String(Math.min(9_999_999_999, Math.max(0, Math.ceil(ms))));
}

/**
 * The error a Connect unary response with a non-200 `status` stands for: the JSON error body when it is one (with
 * the HTTP status's code as the fallback, as connect-node's client reads it), else the status's code.
 */
export function connectUnaryResponseError(
  status: number,
  headers: http2.IncomingHttpHeaders,
  body: Uint8Array,
): ModelwireError {
  const fallback = new ConnectError(`HTTP ${status}`, codeFromHttpStatus(status));
  const type = String(headers["content-type"] ?? "");
  if (!/^application\/json(?:; ?charset=utf-?8)?$/i.test(type)) return fromConnectError(fallback);
  try {
    return fromConnectError(errorFromJsonBytes(body, undefined, fallback));
  } catch (e) {
    return fromConnectError(e);
  }
}

/** The error of a Connect stream answered with a non-200 HTTP `status`. */
export function connectHttpError(status: number): ModelwireError {
  return fromConnectError(new ConnectError(`HTTP ${status}`, codeFromHttpStatus(status)));
}

/** The error (or undefined for success) of a Connect end-stream frame's JSON payload. */
export function connectEndStreamError(payload: Uint8Array): ModelwireError | undefined {
  if (payload.length === 2 && payload[0] === 0x7b && payload[1] === 0x7d) return undefined; // "{}"
  try {
    const end = endStream.parse(payload);
    return end.error ? fromConnectError(end.error) : undefined;
  } catch (e) {
    return fromConnectError(e);
  }
}
