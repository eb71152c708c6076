import { createServer, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { clampTimerMs } from "@modelwire/core";

/** Limits of an {@link createHttpListener} (validated by the caller). */
export interface HttpListenerLimits {
  /** Time allowed to receive the whole request; then 408 and close. */
  requestTimeoutMs: number;
  /** Time allowed to receive the request headers (at most `requestTimeoutMs`); then 408 and close. */
  headersTimeoutMs: number;
  /** Idle keep-alive time of a connection between requests. */
  keepAliveTimeoutMs: number;
}

/**
 * Creates Node's HTTP/1.1 server with keep-alive, no Nagle delay, the slow-request timeouts, and an answer for
 * requests Node's parser rejects: 408 for a timeout, 431 for oversized headers, 400 otherwise, each in Ollama's
 * error shape with modelwire's `code`, then the connection closes.
 */
export function createHttpListener(limits: HttpListenerLimits): Server {
  const server = createServer({
    keepAlive: true,
    noDelay: true,
    requestTimeout: limits.requestTimeoutMs,
    headersTimeout: limits.headersTimeoutMs,
    connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 4))),
  });
  server.keepAliveTimeout = clampTimerMs(limits.keepAliveTimeoutMs);
  server.on("clientError", answerClientError);
  return server;
}

/** Answers a request Node's parser rejected, unless a reply is under way or the peer is gone. */
function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  const pending = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
  if (!socket.writable || pending?.headersSent || err.code === "ECONNRESET") {
    socket.destroy();
    return;
  }
  const [status, reason, text] =
    err.code === "ERR_HTTP_REQUEST_TIMEOUT"
      ? [408, "Request Timeout", "request timeout"]
      : err.code === "HPE_HEADER_OVERFLOW"
        ? [431, "Request Header Fields Too Large", "request header fields too large"]
        : [400, "Bad Request", `bad request: ${err.code ?? err.message}`];
  const code = status === 408 ? "deadline_exceeded" : status === 431 ? "resource_exhausted" : "invalid_argument";
  const body = JSON.stringify({ error: text, code });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  socket.destroySoon?.();
}
