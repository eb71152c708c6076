import type * as http from "node:http";
import * as http2 from "node:http2";
import type { ModelwireError } from "@modelwire/core";
import {
  CONNECT_END_FLAG,
  CONNECT_END_OK,
  connectEndFrame,
  connectTimeout,
  connectUnaryError,
} from "./connect-wire.js";
import { toConnectError } from "./errors.js";
import { GRPC_WEB_TRAILER_FLAG, GRPC_WEB_TRAILER_OK, grpcWebTrailerFrame } from "./grpc-web-wire.js";
import { envelope, errorTrailers, parseGrpcTimeoutHeader } from "./grpc-wire.js";

/** A request a server fast path may take: HTTP/2, or HTTP/1.1 for the protocols that need no HTTP trailers. */
export type FastRequest = http2.Http2ServerRequest | http.IncomingMessage;
/** The response of a {@link FastRequest}. */
export type FastResponse = http2.Http2ServerResponse | http.ServerResponse;

/** What a {@link ServerWire} needs of the call it ends. */
export interface WireCall {
  readonly res: FastResponse;
  /** Sends the 200 response headers with the call's content type, once. */
  sendHeaders(): void;
}

/**
 * One wire protocol a server fast path speaks — gRPC, gRPC-Web, the Connect protocol's streaming or unary form —
 * reduced to what differs between them: the deadline header, how the request message is framed, and how a call
 * ends (HTTP trailers, a trailer frame, an end-stream frame, or a plain HTTP status with a JSON error). Response
 * messages of a stream are the same 5-byte envelope on all of them.
 */
export interface ServerWire {
  /** The observer's protocol name. */
  readonly protocol: "grpc" | "grpc-web" | "connect";
  /** True when the request body is one enveloped message; false when it is the bare message (Connect unary). */
  readonly enveloped: boolean;
  /** The envelope flag of frames a request may carry that are skipped (end-stream / trailer), if any. */
  readonly skipFlag?: number;
  /** The response content type for the request's. */
  responseType(requestType: string): string;
  /** The call's deadline header: ms, undefined when absent, or the coded error for a malformed/too long one. */
  timeout(headers: http2.IncomingHttpHeaders, maxTimeoutMs: number | undefined): number | ModelwireError | undefined;
  /**
   * Ends the response: with `error` (the status travels as the protocol says), or with success and, for a unary
   * call, its response message's bytes (`message`, not yet framed). The response is still writable.
   */
  end(call: WireCall, error: ModelwireError | undefined, message: Uint8Array | undefined): void;
}

/** The status trailers of a successful gRPC call. */
export const OK_TRAILERS = { "grpc-status": "0" };

/** gRPC over HTTP/2: `grpc-timeout`, status in HTTP/2 trailers. */
export const GRPC_WIRE: ServerWire = {
  protocol: "grpc",
  enveloped: true,
  responseType: (t) => t,
  timeout: (h, max) => parseGrpcTimeoutHeader(h["grpc-timeout"] as string | undefined, max),
  end(call, error, message) {
    call.sendHeaders();
    const res = call.res as http2.Http2ServerResponse;
    // The compat API cannot send a trailers-only HEADERS frame: headers, then the status in trailers.
    res.addTrailers(error ? errorTrailers(error) : OK_TRAILERS);
    if (message === undefined) res.end();
    else res.end(envelope(message));
  },
};

/** gRPC-Web: `grpc-timeout`, status in a trailer frame (flag 0x80) at the end of the body. */
export const GRPC_WEB_WIRE: ServerWire = {
  protocol: "grpc-web",
  enveloped: true,
  skipFlag: GRPC_WEB_TRAILER_FLAG,
  responseType: () => "application/grpc-web+proto",
  timeout: GRPC_WIRE.timeout,
  end(call, error, message) {
    call.sendHeaders();
    const trailer = error ? grpcWebTrailerFrame(toConnectError(error)) : GRPC_WEB_TRAILER_OK;
    call.res.end(message === undefined ? trailer : envelope(message, trailer));
  },
};

/** The Connect protocol's streaming form: `connect-timeout-ms`, status in an end-stream frame (flag 0x02). */
export const CONNECT_STREAM_WIRE: ServerWire = {
  protocol: "connect",
  enveloped: true,
  skipFlag: CONNECT_END_FLAG,
  responseType: () => "application/connect+proto",
  timeout: (h, max) => connectTimeout(h["connect-timeout-ms"] as string | undefined, max),
  end(call, error) {
    call.sendHeaders();
    call.res.end(error ? connectEndFrame(toConnectError(error)) : CONNECT_END_OK);
  },
};

/** The Connect protocol's unary form: the bare message, or an HTTP error status with a JSON error body. */
export const CONNECT_UNARY_WIRE: ServerWire = {
  protocol: "connect",
  enveloped: false,
  responseType: () => "application/proto",
  timeout: CONNECT_STREAM_WIRE.timeout,
  end(call, error, message) {
    const res = call.res;
    if (error) {
      const { status, headers, body } = connectUnaryError(toConnectError(error));
      res.writeHead(status, headers);
      res.end(body);
      return;
    }
    const body = message ?? EMPTY;
    res.writeHead(200, { "content-type": "application/proto", "content-length": String(body.length) });
    res.end(body);
  },
};

const EMPTY = new Uint8Array(0);

/**
 * The wire of a request a fast path may take, by its content type and encoding, or undefined (connect-node serves
 * it: JSON, compressed requests, gRPC-Web text, gRPC over HTTP/1.1, anything unknown). `kind` is the method's.
 */
export function serverWireFor(kind: "unary" | "server_streaming", req: FastRequest): ServerWire | undefined {
  const h = req.headers;
  switch (h["content-type"]) {
    case "application/grpc":
    case "application/grpc+proto":
      return req.httpVersionMajor === 2 && identity(h["grpc-encoding"]) ? GRPC_WIRE : undefined;
    case "application/grpc-web":
    case "application/grpc-web+proto":
      return identity(h["grpc-encoding"]) ? GRPC_WEB_WIRE : undefined;
    case "application/connect+proto":
      return kind === "server_streaming" && identity(h["connect-content-encoding"]) ? CONNECT_STREAM_WIRE : undefined;
    case "application/proto":
      return kind === "unary" && identity(h["content-encoding"]) ? CONNECT_UNARY_WIRE : undefined;
    default:
      return undefined;
  }
}

function identity(encoding: string | string[] | undefined): boolean {
  return encoding === undefined || encoding === "identity";
}

/** True when the response can no longer be written (the stream or connection is gone, or it has ended). */
export function responseGone(res: FastResponse): boolean {
  if (res instanceof http2.Http2ServerResponse) return res.stream.destroyed || res.stream.closed;
  return res.destroyed || res.writableEnded;
}

/** What to cork to batch a stream's writes: the HTTP/2 stream, or the HTTP/1.1 response. */
export function corkTarget(res: FastResponse): { cork(): void; uncork(): void } {
  return res instanceof http2.Http2ServerResponse ? res.stream : res;
}
