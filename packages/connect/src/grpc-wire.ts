import type * as http2 from "node:http2";
import { Code, type ModelwireError } from "@modelwire/core";
import { STATUS_DETAILS_BIN, statusDetailsBin } from "./error-details.js";
import { protocolError, toConnectError } from "./errors.js";

/** gRPC `grpc-timeout` units in milliseconds. */
const TIMEOUT_UNITS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 0.001, n: 0.000001 };

/**
 * Parses a `grpc-timeout` header (1–8 digits and a unit, gRPC over HTTP/2 spec) into milliseconds. Returns
 * `undefined` for an absent header and `null` for a malformed one.
 */
export function parseGrpcTimeout(value: string | undefined): number | undefined | null {
  if (value === undefined) return undefined;
  const m = /^(\d{1,8})([HMSmun])$/.exec(value);
  if (!m) return null;
  return Number(m[1]) * TIMEOUT_UNITS[m[2]];
}

/**
 * A call's `grpc-timeout` header as connect-node's gRPC and gRPC-Web handlers read it: milliseconds, undefined when
 * absent, or INVALID_ARGUMENT for a malformed value or one over `maxTimeoutMs`.
 */
export function parseGrpcTimeoutHeader(
  value: string | undefined,
  maxTimeoutMs: number | undefined,
): number | ModelwireError | undefined {
  const timeoutMs = parseGrpcTimeout(value);
  if (timeoutMs === null) {
    return protocolError(`protocol error: invalid grpc timeout value: ${value}`, Code.InvalidArgument);
  }
  if (timeoutMs !== undefined && maxTimeoutMs !== undefined && timeoutMs > maxTimeoutMs) {
    return protocolError(`timeout ${timeoutMs}ms must be <= ${maxTimeoutMs}`, Code.InvalidArgument);
  }
  return timeoutMs;
}

/** A `grpc-timeout` value (at most 8 digits) for `ms` milliseconds, rounded up. */
export function grpcTimeout(ms: number): string {
  const m = Math.max(0, Math.ceil(ms));
  if (m < 1e8) return `${m}m`;
  const s = Math.ceil(m / 1000);
  if (s < 1e8) return `${s}S`;
  return `${Math.min(99_999_999, Math.ceil(s / 3600))}H`;
}

/**
 * Percent-encodes a `grpc-message` as the gRPC spec asks: bytes outside printable ASCII (0x20–0x7E) and `%`
 * itself, over the message's UTF-8 bytes; and a space that begins or ends the message, since an HTTP/2 field value
 * must not (RFC 9113 §8.2.1: a peer drops or refuses it). (Readers that only `decodeURI` cannot undo a full
 * `encodeURIComponent`.)
 */
export function encodeGrpcMessage(message: string): string {
  const last = message.length - 1;
  let plain = message.charCodeAt(0) !== 0x20 && message.charCodeAt(last) !== 0x20;
  for (let i = 0; plain && i <= last; i++) {
    const c = message.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x25) plain = false;
  }
  if (plain) return message;
  const bytes = Buffer.from(message, "utf8");
  let out = "";
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    const edgeSpace = byte === 0x20 && (i === 0 || i === bytes.length - 1);
    out +=
      byte < 0x20 || byte > 0x7e || byte === 0x25 || edgeSpace
        ? `%${byte.toString(16).toUpperCase().padStart(2, "0")}`
        : String.fromCharCode(byte);
  }
  return out;
}

/**
 * Prefixes a message with the 5-byte gRPC envelope (uncompressed), in one buffer with `tail` after it when given
 * (a gRPC-Web trailer frame after a unary response message).
 */
export function envelope(message: Uint8Array, tail?: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + message.length + (tail?.length ?? 0));
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  if (tail) out.set(tail, 5 + message.length);
  return out;
}

/** A 5-byte envelope with `flags` around `payload` (a trailer or end-stream frame). */
export function flaggedEnvelope(flags: number, payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + payload.length);
  out[0] = flags;
  out.writeUInt32BE(payload.length, 1);
  out.set(payload, 5);
  return out;
}

/**
 * The trailers that end a failed gRPC call: `grpc-status` (never 0: an error carrying `Code.Ok` is sent as UNKNOWN),
 * `grpc-message` percent-encoded as the spec asks, and — except for a protocol error — `grpc-status-details-bin`:
 * the google.rpc.Status with an ErrorInfo holding the error's metadata, keys as set (see {@link statusDetailsBin}).
 */
export function errorTrailers(error: ModelwireError): http2.OutgoingHttpHeaders {
  const code = error.code === Code.Ok ? Code.Unknown : error.code;
  const trailers: http2.OutgoingHttpHeaders = {
    "grpc-status": String(code),
    "grpc-message": encodeGrpcMessage(error.rawMessage),
  };
  // A protocol error (see protocolError) carries no details, as connect-node sends it.
  if (toConnectError(error).details.length > 0) trailers[STATUS_DETAILS_BIN] = statusDetailsBin(error, code);
  return trailers;
}

/** RESOURCE_EXHAUSTED for a body that grew past `readMaxBytes` (plus the 5-byte envelope prefix) while read. */
export function readLimitError(readMaxBytes: number): ModelwireError {
  return protocolError(`message size is larger than configured readMaxBytes ${readMaxBytes}`, Code.ResourceExhausted);
}

/** RESOURCE_EXHAUSTED for an encoded message of `size` bytes over `writeMaxBytes`. */
export function writeLimitError(size: number, writeMaxBytes: number): ModelwireError {
  return protocolError(
    `message size ${size} is larger than configured writeMaxBytes ${writeMaxBytes}`,
    Code.ResourceExhausted,
  );
}

/** The error for a message of type `typeName` that protobuf-es failed to decode (`cause` is what it threw). */
export function decodeError(typeName: string, cause: unknown, code: Code): ModelwireError {
  return protocolError(`failed to decode ${typeName}: ${(cause as Error).message}`, code);
}

/** A coded failure of an {@link EnvelopeReader}. */
export interface EnvelopeError {
  code: Code;
  message: string;
}

/**
 * An incremental reader of a stream of gRPC length-prefixed messages (a streaming response body). Bytes may arrive
 * split anywhere; a message is copied at most once (only when it spans chunks).
 */
export interface EnvelopeReader {
  /**
   * Feeds a chunk; appends every message it completes to `out`. Returns a coded error — a message larger than the
   * limit (RESOURCE_EXHAUSTED, detected from the 5-byte prefix, before the payload is buffered), a compressed or
   * otherwise flagged frame (INTERNAL) — after which the reader must not be used again.
   */
  push(chunk: Buffer, out: Uint8Array[]): EnvelopeError | undefined;
  /** Bytes held that do not form a whole message yet (non-zero at the end of a body means a truncated message). */
  pending(): number;
  /** The payload of the final frame (flagged `endFlag`: a gRPC-Web trailer, a Connect end-stream), once it came. */
  endFrame(): Uint8Array | undefined;
}

/**
 * Creates an {@link EnvelopeReader} that refuses messages over `maxBytes`. With `endFlag` (gRPC-Web's trailer flag,
 * Connect's end-stream flag) a frame carrying that flag is the body's final frame, kept for {@link
 * EnvelopeReader.endFrame}; anything after it is INVALID_ARGUMENT, as connect-es's clients say.
 */
export function createEnvelopeReader(maxBytes: number, endFlag?: number): EnvelopeReader {
  let parts: Buffer[] = [];
  let held = 0;
  let end: Uint8Array | undefined;
  /** Payload length of the message being assembled, once its prefix has been read; -1 before. */
  let need = -1;
  return {
    push(chunk, out) {
      if (chunk.length === 0) return undefined;
      parts.push(chunk);
      held += chunk.length;
      for (;;) {
        if (need < 0) {
          if (held < 5) return undefined;
          if (parts[0].length < 5) parts = [Buffer.concat(parts, held)];
          const head = parts[0];
          const flags = head[0];
          const length = head.readUInt32BE(1);
          if (end !== undefined)
            return {
              code: Code.InvalidArgument,
              message: "protocol error: received extra message after end of stream",
            };
          if ((flags & 1) === 1)
            return {
              code: Code.Internal,
              message: "protocol error: received compressed message without grpc-encoding",
            };
          if (flags !== 0 && flags !== endFlag)
            return { code: Code.Internal, message: `protocol error: unexpected envelope flags ${flags}` };
          if (length > maxBytes)
            return {
              code: Code.ResourceExhausted,
              message: `message size ${length} is larger than configured readMaxBytes ${maxBytes}`,
            };
          need = length;
        }
        if (held < 5 + need) return undefined;
        if (parts[0].length < 5 + need) parts = [Buffer.concat(parts, held)];
        const first = parts[0];
        if (first[0] === 0) out.push(first.subarray(5, 5 + need));
        else end = first.subarray(5, 5 + need);
        const rest = first.length - (5 + need);
        held -= 5 + need;
        need = -1;
        if (rest > 0) parts[0] = first.subarray(first.length - rest);
        else parts.shift();
        if (held === 0) return undefined;
      }
    },
    pending: () => held,
    endFrame: () => end,
  };
}
