import type * as http from "node:http";
import * as http2 from "node:http2";
import type * as net from "node:net";
import {
  Code,
  type ConnectionGate,
  type ConnectionLimits,
  clampTimerMs,
  codeName,
  codeToHttpStatus,
  createConnectionGate,
  ModelwireError,
} from "@modelwire/core";
import { encodeGrpcMessage } from "./grpc-wire.js";

/** Default time an HTTP/2 session without a stream (or an idle HTTP/1.1 keep-alive connection) stays open. */
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
/** Default time a request's body may take to arrive in full once its headers are in. */
export const DEFAULT_BODY_TIMEOUT_MS = 30_000;
/** Default time an HTTP/1.1 request's headers (and a TLS handshake) may take. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 30_000;
/** HTTP/2 settings the port announces unless the options say otherwise. */
export const DEFAULT_HTTP2_SETTINGS: Readonly<http2.Settings> = {
  maxConcurrentStreams: 1024,
  maxHeaderListSize: 16 * 1024,
};
/** After a GOAWAY for idleness: how long the session gets to flush before it is destroyed. */
const IDLE_CLOSE_FLUSH_MS = 1_000;

/** The limits of the Connect/gRPC port that keep one client from using it up (validated, defaults filled in). */
export interface PortLimits {
  idleTimeoutMs: number;
  bodyTimeoutMs: number;
  headersTimeoutMs: number;
  http2Settings: http2.Settings;
  gate: ConnectionGate;
}

/** The limit options of the port, as {@link ConnectServerOptions} carries them. */
export interface PortLimitOptions extends ConnectionLimits {
  idleTimeoutMs?: number;
  bodyTimeoutMs?: number;
  headersTimeoutMs?: number;
  http2Settings?: http2.Settings;
}

/** Checks the limit options (a bad value throws `InvalidArgument` naming it) and fills in the defaults. */
export function resolvePortLimits(o: PortLimitOptions): PortLimits {
  const ms = (field: keyof PortLimitOptions, v: number | undefined, def: number) => {
    const x = v ?? def;
    if (!Number.isFinite(x) || x <= 0) {
      throw new ModelwireError(`${field} must be a positive number of ms, got ${x}`, Code.InvalidArgument, { field });
    }
    return clampTimerMs(x);
  };
  return {
    idleTimeoutMs: ms("idleTimeoutMs", o.idleTimeoutMs, DEFAULT_IDLE_TIMEOUT_MS),
    bodyTimeoutMs: ms("bodyTimeoutMs", o.bodyTimeoutMs, DEFAULT_BODY_TIMEOUT_MS),
    headersTimeoutMs: ms("headersTimeoutMs", o.headersTimeoutMs, DEFAULT_HEADERS_TIMEOUT_MS),
    http2Settings: { ...DEFAULT_HTTP2_SETTINGS, ...o.http2Settings },
    gate: createConnectionGate({
      maxConnections: o.maxConnections,
      maxConnectionsPerClient: o.maxConnectionsPerClient,
    }),
  };
}

/**
 * Closes `session` (GOAWAY, then destroy after a moment) once it has had no open stream for `idleMs`: a client that
 * sends the connection preface and nothing more, or leaves a pooled session unused, does not hold it forever.
 */
export function closeWhenIdle(session: http2.Http2Session, idleMs: number): void {
  let open = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    timer = setTimeout(() => {
      if (session.closed || session.destroyed) return;
      session.close();
      setTimeout(() => session.destroy(), IDLE_CLOSE_FLUSH_MS).unref();
    }, clampTimerMs(idleMs));
    timer.unref();
  };
  session.on("stream", (stream: http2.Http2Stream) => {
    open++;
    clearTimeout(timer);
    stream.once("close", () => {
      if (--open === 0 && !session.destroyed) arm();
    });
  });
  session.once("close", () => clearTimeout(timer));
  arm();
}

type AnyRequest = http.IncomingMessage | http2.Http2ServerRequest;
type AnyResponse = http.ServerResponse | http2.Http2ServerResponse;

/**
 * Fails a call whose request body has not fully arrived within `ms` of the handler seeing its headers: the
 * client is answered `DeadlineExceeded` in its protocol (naming `bodyTimeoutMs`) and the stream alone is closed, so
 * a body that never ends does not hold its stream (or the engine slot behind it) forever.
 */
export function limitBodyTime(req: AnyRequest, res: AnyResponse, ms: number): void {
  if (req.readableEnded || req.complete) return;
  const timer = setTimeout(() => {
    if (req.readableEnded) return;
    const err = new ModelwireError(`request body not complete within ${ms} ms`, Code.DeadlineExceeded, {
      limit: "bodyTimeoutMs",
    });
    answerCallError(req, res, err);
  }, clampTimerMs(ms));
  timer.unref();
  const clear = () => clearTimeout(timer);
  req.once("end", clear);
  req.once("close", clear);
  res.once("close", clear);
}

/**
 * Answers `err` on a call this port will not run, in the call's own protocol: gRPC and gRPC-Web as a trailers-only
 * response (`grpc-status`, percent-encoded `grpc-message`), Connect streaming as an end-of-stream message, Connect
 * unary as its JSON error; then the stream (HTTP/2) or the connection (HTTP/1.1) is closed. When a reply has begun,
 * the stream is reset instead.
 */
export function answerCallError(req: AnyRequest, res: AnyResponse, err: ModelwireError): void {
  req.resume();
  const h2 = res instanceof http2.Http2ServerResponse ? res : undefined;
  if (res.headersSent || h2?.stream.destroyed) {
    if (h2) h2.stream.close(http2.constants.NGHTTP2_CANCEL);
    else res.destroy();
    return;
  }
  const contentType = String(req.headers["content-type"] ?? "");
  const base = contentType.split(";")[0].trim();
  let status = 200;
  let headers: Record<string, string>;
  let body: Buffer | undefined;
  if (base.startsWith("application/grpc")) {
    headers = {
      "content-type": base,
      "grpc-status": String(err.code),
      "grpc-message": encodeGrpcMessage(err.rawMessage),
    };
  } else {
    const json = Buffer.from(JSON.stringify({ code: codeName(err.code), message: err.rawMessage }));
    if (base.startsWith("application/connect+")) {
      const wrapped = Buffer.from(JSON.stringify({ error: { code: codeName(err.code), message: err.rawMessage } }));
      body = Buffer.alloc(5 + wrapped.length);
      body[0] = 0x02; // end-stream flag
      body.writeUInt32BE(wrapped.length, 1);
      wrapped.copy(body, 5);
      headers = { "content-type": base };
    } else {
      status = codeToHttpStatus[err.code];
      body = json;
      headers = { "content-type": "application/json" };
    }
  }
  if (h2) {
    h2.stream.respond({ ":status": status, ...headers }, { endStream: body === undefined });
    if (body) h2.stream.end(body);
    // The client may still be sending; the answer is complete, so end its side too (RST_STREAM NO_ERROR).
    h2.stream.close(http2.constants.NGHTTP2_NO_ERROR);
    return;
  }
  const h1 = res as http.ServerResponse;
  h1.writeHead(status, { ...headers, connection: "close" });
  h1.end(body);
}

/**
 * Answers a call on a connection the gate refused: `err` (ResourceExhausted naming the cap) in the call's protocol,
 * then the HTTP/2 session is closed (GOAWAY); the gate destroys the connection after a short linger in any case.
 */
export function refusedCall(req: AnyRequest, res: AnyResponse, err: ModelwireError): void {
  answerCallError(req, res, err);
  if (res instanceof http2.Http2ServerResponse && !res.stream.session?.closed) res.stream.session?.close();
}

/**
 * Closes an HTTP/1.1 connection negotiated by ALPN on the TLS port once it has had no request in flight for
 * `idleMs`: before its first request's headers arrive and between keep-alive requests. Node's HTTP/2 secure server
 * serves those connections with none of the HTTP/1.1 server's timeouts (no keep-alive, headers or request timeout
 * applies), so a client could hold one open forever. Returns what the request handler calls for each request.
 */
export function closeHttp1WhenIdle(socket: net.Socket, idleMs: number): (res: http.ServerResponse) => void {
  let open = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    timer = setTimeout(() => {
      if (open === 0) socket.destroy();
    }, clampTimerMs(idleMs));
    timer.unref();
  };
  socket.once("close", () => clearTimeout(timer));
  arm();
  return (res) => {
    open++;
    clearTimeout(timer);
    res.once("close", () => {
      if (--open === 0 && !socket.destroyed) arm();
    });
  };
}
