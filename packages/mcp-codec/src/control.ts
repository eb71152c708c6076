import type { Code } from "@modelwire/core";
import {
  FrameType,
  HEADER_SIZE,
  MAX_METHOD,
  type Method,
  MIN_MAX_FRAME_SIZE,
  PING_PAYLOAD_SIZE,
  SESSION_ID_SIZE,
} from "./constants.js";
import { ProtocolErrorReason, protocolError } from "./errors.js";
import { writeHeader } from "./frame.js";

/** String key/value pairs carried by HELLO, WELCOME and ERROR payloads (a metadata block). */
export type Metadata = Record<string, string>;

/** The HELLO payload: what the client offers. */
export interface Hello {
  /** Lowest protocol version the client speaks. */
  minVersion: number;
  /** Highest protocol version the client speaks. */
  maxVersion: number;
  /** Largest payload the client will accept. */
  maxFrameSize: number;
  /** Concurrent streams the client would like (0 = no preference). */
  maxStreams: number;
  /** Heartbeat interval the client proposes, in ms (0 = none proposed). */
  heartbeatMs: number;
  /** Credentials (`auth-token`), client name (`client`) and other facts. */
  metadata: Metadata;
}

/** The WELCOME payload: the negotiated connection parameters. */
export interface Welcome {
  /** The version both peers will speak. */
  version: number;
  /** Negotiated maximum payload size: min(client's, server's). Both directions obey it. */
  maxFrameSize: number;
  /** Concurrent streams the server allows on this connection. */
  maxStreams: number;
  /** Negotiated heartbeat interval in ms (0 disables heartbeats). */
  heartbeatMs: number;
  /** The 16-byte session id of this connection. */
  sessionId: Uint8Array;
  /** Server facts (`server` name, ...). */
  metadata: Metadata;
}

/** The decoded fixed prefix of an OPEN payload and the InferenceRequest bytes after it. */
export interface OpenPayload {
  /** The operation. */
  method: Method;
  /** Relative deadline in ms from the moment the server reads the frame; 0 = none. */
  timeoutMs: number;
  /** The serialized `modelwire.v1.InferenceRequest` (zero-copy view). */
  body: Uint8Array;
}

/** An ERROR payload. */
export interface ErrorPayload {
  /** The status code (1–16). */
  code: Code;
  /** Human-readable message. */
  message: string;
  /** Extra facts (e.g. `reason` for protocol errors). */
  metadata: Metadata;
}

/** A GOAWAY payload. */
export interface Goaway {
  /** Highest stream id the server accepted; streams above it were not processed and may be retried elsewhere. */
  lastStreamId: number;
  /** Why: `Ok` (0) for a graceful shutdown, otherwise the error code. */
  code: Code;
  /** Human-readable reason. */
  message: string;
}

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder("utf-8", { fatal: true });
const MAX_U16 = 0xffff;

function bad(message: string, extra: Record<string, string | number> = {}): never {
  throw protocolError(ProtocolErrorReason.BadPayload, message, extra);
}

function text(b: Uint8Array, field: string): string {
  try {
    return utf8Strict.decode(b);
  } catch {
    return bad(`${field} is not valid UTF-8`, { field });
  }
}

function u32(b: Uint8Array, o: number): number {
  return b[o] * 0x1000000 + ((b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]);
}
function u16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}
function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}
function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 8;
  b[o + 1] = v;
}

/** Encodes a metadata block: u16 count, then per entry u16 key length, key, u16 value length, value (UTF-8). */
export function encodeMetadata(metadata: Metadata): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 2;
  let count = 0;
  for (const [k, v] of Object.entries(metadata)) {
    const kb = utf8.encode(k);
    const vb = utf8.encode(v);
    if (kb.length === 0 || kb.length > MAX_U16 || vb.length > MAX_U16)
      bad(`metadata entry '${k}' is too long or empty`);
    parts.push(kb, vb);
    size += 4 + kb.length + vb.length;
    count++;
  }
  if (count > MAX_U16) bad("too many metadata entries");
  const out = new Uint8Array(size);
  put16(out, 0, count);
  let o = 2;
  for (const p of parts) {
    put16(out, o, p.length);
    out.set(p, o + 2);
    o += 2 + p.length;
  }
  return out;
}

/** Decodes a metadata block spanning exactly `b` (an empty `b` is an empty block). Throws `BadPayload`. */
export function decodeMetadata(b: Uint8Array): Metadata {
  const out: Metadata = Object.create(null);
  if (b.length === 0) return out;
  if (b.length < 2) bad("truncated metadata block");
  const count = u16(b, 0);
  let o = 2;
  for (let i = 0; i < count; i++) {
    if (o + 2 > b.length) bad("truncated metadata key length");
    const kl = u16(b, o);
    if (kl === 0) bad("empty metadata key");
    if (o + 2 + kl + 2 > b.length) bad("truncated metadata key");
    const key = text(b.subarray(o + 2, o + 2 + kl), "metadata key");
    o += 2 + kl;
    const vl = u16(b, o);
    if (o + 2 + vl > b.length) bad("truncated metadata value");
    const value = text(b.subarray(o + 2, o + 2 + vl), "metadata value");
    o += 2 + vl;
    if (key in out) bad(`duplicate metadata key '${key}'`);
    out[key] = value;
  }
  if (o !== b.length) bad(`${b.length - o} trailing bytes after the metadata block`);
  return { ...out };
}

/** Encodes a HELLO payload (16 fixed bytes + metadata block). */
export function encodeHello(h: Hello): Uint8Array {
  const md = encodeMetadata(h.metadata);
  const out = new Uint8Array(16 + md.length);
  out[0] = h.minVersion;
  out[1] = h.maxVersion;
  put32(out, 4, h.maxFrameSize);
  put32(out, 8, h.maxStreams);
  put32(out, 12, h.heartbeatMs);
  out.set(md, 16);
  return out;
}

/** Decodes a HELLO payload; throws `BadPayload` / `ReservedBits`. */
export function decodeHello(b: Uint8Array): Hello {
  if (b.length < 16) bad(`HELLO payload of ${b.length} bytes is shorter than 16`);
  if (u16(b, 2) !== 0) throw protocolError(ProtocolErrorReason.ReservedBits, "HELLO reserved field is not 0");
  if (b[0] === 0 || b[0] > b[1]) bad(`HELLO version range ${b[0]}..${b[1]} is empty`);
  const maxFrameSize = u32(b, 4);
  if (maxFrameSize < MIN_MAX_FRAME_SIZE) {
    bad(`HELLO maxFrameSize ${maxFrameSize} is below the protocol's ${MIN_MAX_FRAME_SIZE}`, { maxFrameSize });
  }
  return {
    minVersion: b[0],
    maxVersion: b[1],
    maxFrameSize,
    maxStreams: u32(b, 8),
    heartbeatMs: u32(b, 12),
    metadata: decodeMetadata(b.subarray(16)),
  };
}

/** Encodes a WELCOME payload (32 fixed bytes + metadata block). */
export function encodeWelcome(w: Welcome): Uint8Array {
  if (w.sessionId.length !== SESSION_ID_SIZE) bad(`session id must be ${SESSION_ID_SIZE} bytes`);
  const md = encodeMetadata(w.metadata);
  const out = new Uint8Array(32 + md.length);
  out[0] = w.version;
  put32(out, 4, w.maxFrameSize);
  put32(out, 8, w.maxStreams);
  put32(out, 12, w.heartbeatMs);
  out.set(w.sessionId, 16);
  out.set(md, 32);
  return out;
}

/** Decodes a WELCOME payload; throws `BadPayload` / `ReservedBits`. */
export function decodeWelcome(b: Uint8Array): Welcome {
  if (b.length < 32) bad(`WELCOME payload of ${b.length} bytes is shorter than 32`);
  if (b[1] !== 0 || u16(b, 2) !== 0)
    throw protocolError(ProtocolErrorReason.ReservedBits, "WELCOME reserved field is not 0");
  if (b[0] === 0) bad("WELCOME version is 0");
  const maxFrameSize = u32(b, 4);
  if (maxFrameSize < MIN_MAX_FRAME_SIZE) {
    bad(`WELCOME maxFrameSize ${maxFrameSize} is below the protocol's ${MIN_MAX_FRAME_SIZE}`, { maxFrameSize });
  }
  return {
    version: b[0],
    maxFrameSize,
    maxStreams: u32(b, 8),
    heartbeatMs: u32(b, 12),
    sessionId: b.slice(16, 32),
    metadata: decodeMetadata(b.subarray(32)),
  };
}

/**
 * Encodes a whole OPEN frame (header + 8-byte prefix + InferenceRequest bytes) in one allocation: the client's hot
 * path.
 */
export function encodeOpenFrame(
  streamId: number,
  dataType: number,
  method: Method,
  timeoutMs: number,
  body: Uint8Array,
): Uint8Array {
  const len = 8 + body.length;
  const out = new Uint8Array(HEADER_SIZE + len);
  writeHeader(out, 0, FrameType.Open, 0, dataType, streamId, 0, len);
  out[HEADER_SIZE] = method;
  put32(out, HEADER_SIZE + 4, timeoutMs);
  out.set(body, HEADER_SIZE + 8);
  return out;
}

/** Encodes just an OPEN payload (prefix + body). */
export function encodeOpenPayload(p: OpenPayload): Uint8Array {
  const out = new Uint8Array(8 + p.body.length);
  out[0] = p.method;
  put32(out, 4, p.timeoutMs);
  out.set(p.body, 8);
  return out;
}

/** Decodes an OPEN payload; the body is a zero-copy view. Throws `BadPayload` / `ReservedBits`. */
export function decodeOpenPayload(b: Uint8Array): OpenPayload {
  if (b.length < 8) bad(`OPEN payload of ${b.length} bytes is shorter than 8`);
  const method = b[0];
  if (method < 1 || method > MAX_METHOD) bad(`unknown method ${method}`, { method });
  if (b[1] !== 0 || u16(b, 2) !== 0)
    throw protocolError(ProtocolErrorReason.ReservedBits, "OPEN reserved field is not 0");
  return { method, timeoutMs: u32(b, 4), body: b.subarray(8) };
}

/** Encodes an ERROR payload: u16 code, u16 message length, message, metadata block. */
export function encodeErrorPayload(e: ErrorPayload): Uint8Array {
  let msg = utf8.encode(e.message);
  if (msg.length > MAX_U16) msg = msg.subarray(0, MAX_U16);
  const hasMd = Object.keys(e.metadata).length > 0;
  const md = hasMd ? encodeMetadata(e.metadata) : undefined;
  const out = new Uint8Array(4 + msg.length + (md?.length ?? 0));
  put16(out, 0, e.code);
  put16(out, 2, msg.length);
  out.set(msg, 4);
  if (md) out.set(md, 4 + msg.length);
  return out;
}

/** Decodes an ERROR payload; throws `BadPayload`. */
export function decodeErrorPayload(b: Uint8Array): ErrorPayload {
  if (b.length < 4) bad(`ERROR payload of ${b.length} bytes is shorter than 4`);
  const code = u16(b, 0);
  if (code < 1 || code > 16) bad(`ERROR code ${code} is not in 1..16`, { code });
  const ml = u16(b, 2);
  if (4 + ml > b.length) bad("ERROR message is truncated");
  // A truncated message may have been cut inside a UTF-8 sequence by the sender: decode leniently.
  const message = new TextDecoder().decode(b.subarray(4, 4 + ml));
  return { code, message, metadata: decodeMetadata(b.subarray(4 + ml)) };
}

/** Encodes a GOAWAY payload: u32 last stream id, u16 code, u16 message length, message. */
export function encodeGoaway(g: Goaway): Uint8Array {
  let msg = utf8.encode(g.message);
  if (msg.length > MAX_U16) msg = msg.subarray(0, MAX_U16);
  const out = new Uint8Array(8 + msg.length);
  put32(out, 0, g.lastStreamId);
  put16(out, 4, g.code);
  put16(out, 6, msg.length);
  out.set(msg, 8);
  return out;
}

/** Decodes a GOAWAY payload; throws `BadPayload`. */
export function decodeGoaway(b: Uint8Array): Goaway {
  if (b.length < 8) bad(`GOAWAY payload of ${b.length} bytes is shorter than 8`);
  const lastStreamId = u32(b, 0);
  if (lastStreamId > 0x7fffffff)
    throw protocolError(ProtocolErrorReason.ReservedBits, "GOAWAY last stream id top bit set");
  const code = u16(b, 4);
  if (code > 16) bad(`GOAWAY code ${code} is not in 0..16`, { code });
  const ml = u16(b, 6);
  if (8 + ml !== b.length) bad("GOAWAY message length does not match the payload");
  return { lastStreamId, code, message: new TextDecoder().decode(b.subarray(8)) };
}

/** Encodes a PING payload carrying a float64 (big-endian), e.g. the sender's clock in ms for RTT. */
export function encodePing(value: number): Uint8Array {
  const out = new Uint8Array(PING_PAYLOAD_SIZE);
  new DataView(out.buffer).setFloat64(0, value, false);
  return out;
}

/** Reads the float64 a PING payload carries (see {@link encodePing}). */
export function decodePing(b: Uint8Array): number {
  if (b.length !== PING_PAYLOAD_SIZE) bad(`PING payload must be ${PING_PAYLOAD_SIZE} bytes`);
  return new DataView(b.buffer, b.byteOffset, 8).getFloat64(0, false);
}
