import type * as http2 from "node:http2";
import { Code, ModelwireError } from "@modelwire/core";
import { STATUS_DETAILS_BIN, statusDetailsBin } from "./error-details.js";

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
 * itself, over the message's UTF-8 bytes. (Readers that only `decodeURI` cannot undo a full `encodeURIComponent`.)
 */
export function encodeGrpcMessage(message: string): string {
  let plain = true;
  for (let i = 0; i < message.length; i++) {
    const c = message.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x25) {
      plain = false;
      break;
    }
  }
  if (plain) return message;
  let out = "";
  for (const byte of Buffer.from(message, "utf8")) {
    out +=
      byte < 0x20 || byte > 0x7e || byte === 0x25
        ? `%${byte.toString(16).toUpperCase().padStart(2, "0")}`
        : String.fromCharCode(byte);
  }
  return out;
}

/** The result of reading a unary gRPC request body: the one message's bytes, or a coded protocol error. */
export type UnaryEnvelope = { ok: true; message: Uint8Array } | { ok: false; code: Code; message: string };

/**
 * Reads exactly one uncompressed length-prefixed message from a unary gRPC request body (flags byte, 4-byte
 * big-endian length, payload). Anything else — a short frame, a compressed flag without `grpc-encoding`, zero or
 * two messages, a message over `maxBytes` — is a coded error, never an exception.
 */
export function readUnaryEnvelope(body: Buffer, maxBytes: number): UnaryEnvelope {
  if (body.length === 0)
    return { ok: false, code: Code.InvalidArgument, message: "protocol error: missing input message for unary method" };
  if (body.length < 5)
    return {
      ok: false,
      code: Code.InvalidArgument,
      message: `protocol error: incomplete envelope (${body.length} bytes)`,
    };
  const flags = body[0];
  const length = body.readUInt32BE(1);
  if (length > maxBytes) {
    return {
      ok: false,
      code: Code.ResourceExhausted,
      message: `message size ${length} is larger than configured readMaxBytes ${maxBytes}`,
    };
  }
  if (body.length < 5 + length) {
    return {
      ok: false,
      code: Code.InvalidArgument,
      message: `protocol error: promised ${length} bytes in enveloped message, got ${body.length - 5} bytes`,
    };
  }
  if (body.length > 5 + length)
    return {
      ok: false,
      code: Code.InvalidArgument,
      message: "protocol error: received extra input message for unary method",
    };
  if ((flags & 1) === 1)
    return {
      ok: false,
      code: Code.Internal,
      message: "protocol error: received compressed message without grpc-encoding",
    };
  if (flags !== 0)
    return { ok: false, code: Code.InvalidArgument, message: `protocol error: unexpected envelope flags ${flags}` };
  return { ok: true, message: body.subarray(5, 5 + length) };
}

/** Prefixes a message with the 5-byte gRPC envelope (uncompressed). */
export function envelope(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

/**
 * The trailers that end a failed gRPC call: `grpc-status` (never 0: an error carrying `Code.Ok` is sent as UNKNOWN),
 * `grpc-message` percent-encoded as the spec asks, and `grpc-status-details-bin`: the google.rpc.Status with an
 * ErrorInfo holding the error's metadata, keys as set (see {@link statusDetailsBin}).
 */
export function errorTrailers(error: ModelwireError): http2.OutgoingHttpHeaders {
  const code = error.code === Code.Ok ? Code.Unknown : error.code;
  return {
    "grpc-status": String(code),
    "grpc-message": encodeGrpcMessage(error.rawMessage),
    [STATUS_DETAILS_BIN]: statusDetailsBin(error, code),
  };
}

/** RESOURCE_EXHAUSTED for a body that grew past `readMaxBytes` (plus the 5-byte envelope prefix) while read. */
export function readLimitError(readMaxBytes: number): ModelwireError {
  return new ModelwireError(
    `message size is larger than configured readMaxBytes ${readMaxBytes}`,
    Code.ResourceExhausted,
  );
}

/** RESOURCE_EXHAUSTED for an encoded message of `size` bytes over `writeMaxBytes`. */
export function writeLimitError(size: number, writeMaxBytes: number): ModelwireError {
  return new ModelwireError(
    `message size ${size} is larger than configured writeMaxBytes ${writeMaxBytes}`,
    Code.ResourceExhausted,
  );
}

/** The error for a message of type `typeName` that protobuf-es failed to decode (`cause` is what it threw). */
export function decodeError(typeName: string, cause: unknown, code: Code): ModelwireError {
  return new ModelwireError(`failed to decode ${typeName}: ${(cause as Error).message}`, code);
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
}

/** Creates an {@link EnvelopeReader} that refuses messages over `maxBytes`. */
export function createEnvelopeReader(maxBytes: number): EnvelopeReader {
  let parts: Buffer[] = [];
  let held = 0;
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
          if ((flags & 1) === 1)
            return {
              code: Code.Internal,
              message: "protocol error: received compressed message without grpc-encoding",
            };
          if (flags !== 0)
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
        out.push(first.subarray(5, 5 + need));
        const rest = first.length - (5 + need);
        held -= 5 + need;
        need = -1;
        if (rest > 0) parts[0] = first.subarray(first.length - rest);
        else parts.shift();
        if (held === 0) return undefined;
      }
    },
    pending: () => held,
  };
}
