import type * as http2 from "node:http2";
import { create, type DescMessage, type MessageInitShape, type MessageShape, toBinary } from "@bufbuild/protobuf";
import type { Http2SessionManager } from "@connectrpc/connect-node";
import { abortReason, Code, ModelwireError, setLongTimeout } from "@modelwire/core";
import type { ClientWire } from "./client-wires.js";
import { metadataFromStatusDetails, STATUS_DETAILS_BIN } from "./error-details.js";
import { fromConnectError } from "./errors.js";
import { envelope, writeLimitError } from "./grpc-wire.js";
import { resetStreamError } from "./h2-reset.js";
import type { CallTiming } from "./timing.js";

/** The method a fast-path call goes to. */
export interface FastMethod<I extends DescMessage, O extends DescMessage> {
  /** `/<service>/<Method>`. */
  path: string;
  /** The method's name, as timings report it. */
  name: string;
  input: I;
  output: O;
}

/** Per-call inputs of the client's fast paths ({@link FastUnaryCaller}, {@link FastStreamCaller}). */
export interface FastCall {
  signal?: AbortSignal;
  timeoutMs?: number;
  headers?: Record<string, string>;
}

/** Options of the client's fast paths ({@link createFastUnaryCaller}, {@link createFastStreamCaller}). */
export interface FastCallerOptions {
  sessionManager: Http2SessionManager;
  /** The protocol the calls speak (gRPC, gRPC-Web, Connect). */
  wire: ClientWire;
  readMaxBytes: number;
  writeMaxBytes: number;
  authorization?: string;
  onTiming?: (timing: CallTiming) => void;
}

/** A call ready to go out: the request body as the wire frames it, its HTTP/2 headers and its start time. */
export interface PreparedCall {
  body: Buffer;
  headers: http2.OutgoingHttpHeaders;
  /** `performance.now()` when the call began, when timings are on; else 0. */
  start: number;
  /** The call's deadline (epoch ms) from `timeoutMs`, if it has one. */
  deadline: number | undefined;
}

/**
 * The prologue of every fast-path call: the start time, the request encoded and framed as the wire says
 * (RESOURCE_EXHAUSTED over `writeMaxBytes`), and the request headers. `stream`: a server-streaming call.
 */
export function prepareCall<I extends DescMessage>(
  method: FastMethod<I, DescMessage>,
  request: MessageInitShape<I>,
  c: FastCall,
  options: FastCallerOptions,
  stream: boolean,
): PreparedCall | ModelwireError {
  const start = options.onTiming ? performance.now() : 0;
  const deadline = c.timeoutMs === undefined ? undefined : Date.now() + c.timeoutMs;
  const bytes = encodeRequest(method.input, request, options.writeMaxBytes);
  if (bytes instanceof ModelwireError) return bytes;
  const { wire } = options;
  return {
    body: wire.enveloped(stream) ? envelope(bytes) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length),
    headers: requestHeaders(c, options.authorization, wire, stream),
    start,
    deadline,
  };
}

/**
 * Arms a call's deadline and abort signal: `end` runs with DEADLINE_EXCEEDED once `c.timeoutMs` has passed, or
 * with the signal's reason when it fires. Returns the function that disarms both, or — when the signal has fired
 * already — its reason (nothing is armed then).
 */
export function armCall(c: FastCall, end: (error: ModelwireError) => void): (() => void) | ModelwireError {
  const signal = c.signal;
  if (signal?.aborted) return abortReason(signal);
  const onAbort = signal && (() => end(abortReason(signal)));
  if (onAbort) signal.addEventListener("abort", onAbort, { once: true });
  const timer =
    c.timeoutMs === undefined
      ? undefined
      : setLongTimeout(() => end(new ModelwireError("the operation timed out", Code.DeadlineExceeded)), c.timeoutMs);
  return () => {
    timer?.clear();
    if (onAbort) signal.removeEventListener("abort", onAbort);
  };
}

/**
 * The request message's bytes (`request` is used as is when it already is a message of `input`, else created from
 * its init shape), or RESOURCE_EXHAUSTED when they exceed `writeMaxBytes`.
 */
export function encodeRequest<I extends DescMessage>(
  input: I,
  request: MessageInitShape<I>,
  writeMaxBytes: number,
): Uint8Array | ModelwireError {
  const message =
    (request as { $typeName?: string }).$typeName === input.typeName
      ? (request as MessageShape<I>)
      : create(input, request);
  const bytes = toBinary(input, message);
  return bytes.length > writeMaxBytes ? writeLimitError(bytes.length, writeMaxBytes) : bytes;
}

/**
 * The HTTP/2 request headers of a call: the wire's content type, the call's own headers (lower-cased), then
 * `authorization` when set and the wire's protocol and deadline headers.
 */
export function requestHeaders(
  c: FastCall,
  authorization: string | undefined,
  wire: ClientWire,
  stream: boolean,
): http2.OutgoingHttpHeaders {
  const headers: http2.OutgoingHttpHeaders = { "content-type": wire.contentType(stream) };
  if (c.headers) for (const [k, v] of Object.entries(c.headers)) headers[k.toLowerCase()] = v;
  if (authorization !== undefined) headers.authorization = authorization;
  wire.protocolHeaders(headers, c.timeoutMs);
  return headers;
}

/** How a fast-path call's HTTP/2 stream ended: what was received, and its RST_STREAM code. */
export interface StreamEnd {
  /** The `:status` of the response headers; undefined when none came. */
  status: number | undefined;
  head: http2.IncomingHttpHeaders | undefined;
  trailers: http2.IncomingHttpHeaders | undefined;
  rstCode: number;
  /** The stream closed because its session (the connection) was destroyed. */
  connectionLost: boolean;
  /** The call's deadline (epoch ms), if it has one. */
  deadline: number | undefined;
}

/** How `stream` ended, read when it has closed (`session` is the one it was opened on). */
export function streamEnd(
  stream: http2.ClientHttp2Stream,
  session: http2.Http2Session | undefined,
  status: number | undefined,
  head: http2.IncomingHttpHeaders | undefined,
  trailers: http2.IncomingHttpHeaders | undefined,
  deadline: number | undefined,
): StreamEnd {
  return { status, head, trailers, rstCode: stream.rstCode, connectionLost: session?.destroyed ?? false, deadline };
}

/**
 * The outcome of a finished gRPC response, from its HTTP status, headers, trailers (or a trailers-only HEADERS
 * frame) and the stream's RST_STREAM code: undefined for `grpc-status: 0`, else the {@link ModelwireError} the
 * server sent (code, percent-decoded `grpc-message`, the metadata of its `grpc-status-details-bin` ErrorInfo) or one describing the transport failure
 * (a stream reset without a status is mapped by {@link resetStreamError}).
 */
export function responseStatusError(end: StreamEnd): ModelwireError | undefined {
  const { status, head, trailers, rstCode } = end;
  if (status === undefined) return resetStreamError(rstCode, end.connectionLost, end.deadline);
  if (status !== 200) return new ModelwireError(`HTTP ${status}`, grpcCodeForHttp(status));
  const statusHeaders = trailers?.["grpc-status"] !== undefined ? trailers : head;
  const grpcStatus = statusHeaders?.["grpc-status"];
  if (grpcStatus === undefined) {
    if (rstCode || end.connectionLost) return resetStreamError(rstCode, end.connectionLost, end.deadline);
    return new ModelwireError("protocol error: missing grpc-status", Code.Internal);
  }
  const code = Number(grpcStatus);
  if (code === 0) return undefined;
  const raw = String(statusHeaders?.["grpc-message"] ?? "");
  let text = raw;
  try {
    text = decodeURIComponent(raw);
  } catch {}
  const details = statusHeaders?.[STATUS_DETAILS_BIN];
  const metadata = (typeof details === "string" && metadataFromStatusDetails(details)) || {};
  const valid = Number.isInteger(code) && code > 0 && code <= 16;
  return new ModelwireError(text, valid ? (code as Code) : Code.Unknown, metadata);
}

/** The gRPC code for a non-200 HTTP status (gRPC's http-grpc-status-mapping). */
function grpcCodeForHttp(status: number): Code {
  switch (status) {
    case 400:
      return Code.Internal;
    case 401:
      return Code.Unauthenticated;
    case 403:
      return Code.PermissionDenied;
    case 404:
      return Code.Unimplemented;
    case 429:
    case 502:
    case 503:
    case 504:
      return Code.Unavailable;
    default:
      return Code.Unknown;
  }
}

/**
 * The error an HTTP/2 client stream's 'error' event stands for, or undefined when the event only announces a
 * peer's RST_STREAM (`ERR_HTTP2_STREAM_ERROR`): the 'close' that follows maps its code with
 * `resetStreamError`. A failed session (`ERR_HTTP2_SESSION_ERROR`, e.g. a GOAWAY with an error code) is
 * UNAVAILABLE; the rest goes through `fromConnectError` (socket errors are UNAVAILABLE there too).
 */
export function streamErrorEvent(e: unknown): ModelwireError | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  if (code === "ERR_HTTP2_STREAM_ERROR") return undefined;
  if (code === "ERR_HTTP2_SESSION_ERROR" || code === "ERR_HTTP2_GOAWAY_SESSION") {
    return new ModelwireError(`connection failed: ${(e as Error).message}`, Code.Unavailable, {}, e);
  }
  return fromConnectError(e);
}
