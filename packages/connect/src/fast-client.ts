import * as http2 from "node:http2";
import {
  create,
  type DescMessage,
  fromBinary,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import type { Http2SessionManager } from "@connectrpc/connect-node";
import { abortReason, Code, ModelwireError } from "@modelwire/core";
import { fromConnectError } from "./errors.js";
import { envelope } from "./grpc-wire.js";
import type { CallTiming } from "./timing.js";

/** Per-call inputs of {@link FastUnaryCaller}. */
export interface FastUnaryCall {
  signal?: AbortSignal;
  timeoutMs?: number;
  headers?: Record<string, string>;
}

/** Calls one unary gRPC method on an HTTP/2 session of a connect-node session manager. */
export type FastUnaryCaller = <I extends DescMessage, O extends DescMessage>(
  path: string,
  name: string,
  input: I,
  output: O,
  request: MessageInitShape<I>,
  call: FastUnaryCall,
) => Promise<MessageShape<O>>;

/** Options of {@link createFastUnaryCaller}. */
export interface FastUnaryCallerOptions {
  sessionManager: Http2SessionManager;
  readMaxBytes: number;
  writeMaxBytes: number;
  authorization?: string;
  onTiming?: (timing: CallTiming) => void;
}

const { NGHTTP2_CANCEL, NGHTTP2_NO_ERROR, NGHTTP2_REFUSED_STREAM, NGHTTP2_ENHANCE_YOUR_CALM } = http2.constants;

/**
 * The client's fast path for unary gRPC calls: the request goes out on the same keepalive-managed HTTP/2 session
 * connect-node's transport uses (so PINGs, idle timeout and reconnects are connect-node's), but the call itself is
 * one `session.request()`, one enveloped message out, one in and the `grpc-status` trailer — without the
 * per-call interceptor chain, sentinel, async-iterable pipeline and the Error/DOMException objects connect-node
 * builds for every successful call (docs/connect-perf.md). Failures are {@link ModelwireError}s with the code the
 * server sent, DEADLINE_EXCEEDED at the deadline, CANCELED on the signal.
 */
export function createFastUnaryCaller(options: FastUnaryCallerOptions): FastUnaryCaller {
  const { sessionManager: sm, readMaxBytes, writeMaxBytes, authorization, onTiming } = options;

  return function call<I extends DescMessage, O extends DescMessage>(
    path: string,
    name: string,
    input: I,
    output: O,
    request: MessageInitShape<I>,
    c: FastUnaryCall,
  ): Promise<MessageShape<O>> {
    const start = onTiming ? performance.now() : 0;
    const message =
      (request as { $typeName?: string }).$typeName === input.typeName
        ? (request as MessageShape<I>)
        : create(input, request);
    const bytes = toBinary(input, message);
    if (bytes.length > writeMaxBytes) {
      return Promise.reject(
        new ModelwireError(
          `message size ${bytes.length} is larger than configured writeMaxBytes ${writeMaxBytes}`,
          Code.ResourceExhausted,
        ),
      );
    }
    const headers: http2.OutgoingHttpHeaders = {
      "content-type": "application/grpc+proto",
      te: "trailers",
    };
    if (c.headers) for (const [k, v] of Object.entries(c.headers)) headers[k.toLowerCase()] = v;
    if (authorization !== undefined) headers.authorization = authorization;
    if (c.timeoutMs !== undefined) headers["grpc-timeout"] = grpcTimeout(c.timeoutMs);

    return new Promise<MessageShape<O>>((resolve, reject) => {
      let settled = false;
      let stream: http2.ClientHttp2Stream | undefined;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const settle = (error: ModelwireError | undefined, value?: MessageShape<O>) => {
        if (settled) return;
        settled = true;
        if (timer !== undefined) clearTimeout(timer);
        c.signal?.removeEventListener("abort", onAbort);
        if (error && stream && !stream.closed)
          stream.close(
            error.code === Code.Canceled || error.code === Code.DeadlineExceeded ? NGHTTP2_CANCEL : NGHTTP2_NO_ERROR,
          );
        onTiming?.({
          method: name,
          stream: false,
          headersMs: performance.now() - start,
          firstMessageMs: error ? undefined : performance.now() - start,
          totalMs: performance.now() - start,
          messages: error ? 0 : 1,
          code: error ? error.code : Code.Ok,
        });
        if (error) reject(error);
        else resolve(value!);
      };
      const onAbort = () => settle(abortReason(c.signal!));
      if (c.signal) {
        if (c.signal.aborted) return onAbort();
        c.signal.addEventListener("abort", onAbort, { once: true });
      }
      if (c.timeoutMs !== undefined) {
        timer = setTimeout(
          () => settle(new ModelwireError("the operation timed out", Code.DeadlineExceeded)),
          c.timeoutMs,
        );
      }

      sm.request("POST", path, headers, {}).then(
        (s) => {
          stream = s;
          if (settled) {
            s.close(NGHTTP2_CANCEL);
            return;
          }
          let status: number | undefined;
          let head: http2.IncomingHttpHeaders | undefined;
          let trailers: http2.IncomingHttpHeaders | undefined;
          const chunks: Buffer[] = [];
          let size = 0;
          s.once("response", (h) => {
            head = h;
            status = Number(h[":status"]);
          });
          s.on("data", (chunk: Buffer) => {
            sm.notifyResponseByteRead(s);
            size += chunk.length;
            if (size > readMaxBytes + 5) {
              settle(
                new ModelwireError(
                  `message size is larger than configured readMaxBytes ${readMaxBytes}`,
                  Code.ResourceExhausted,
                ),
              );
              return;
            }
            chunks.push(chunk);
          });
          s.once("trailers", (t) => {
            trailers = t;
          });
          s.once("error", (e) => settle(fromConnectError(e)));
          s.once("close", () => {
            if (settled) return;
            const r = evaluate(status, head, trailers, chunks, s.rstCode, readMaxBytes);
            if (r.error) settle(r.error);
            else {
              try {
                settle(undefined, fromBinary(output, r.message!));
              } catch (e) {
                settle(
                  new ModelwireError(`failed to decode ${output.typeName}: ${(e as Error).message}`, Code.Internal),
                );
              }
            }
          });
          s.end(envelope(bytes));
        },
        (e) => settle(fromConnectError(e)),
      );
    });
  };
}

/** Reads a finished unary gRPC response: the status from trailers (or a trailers-only HEADERS), then the message. */
function evaluate(
  status: number | undefined,
  head: http2.IncomingHttpHeaders | undefined,
  trailers: http2.IncomingHttpHeaders | undefined,
  chunks: Buffer[],
  rstCode: number,
  readMaxBytes: number,
): { error?: ModelwireError; message?: Uint8Array } {
  const error = responseStatusError(status, head, trailers, rstCode);
  if (error) return { error };
  const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
  if (body.length < 5)
    return { error: new ModelwireError("protocol error: missing output message for unary method", Code.Internal) };
  const length = body.readUInt32BE(1);
  if (length > readMaxBytes)
    return {
      error: new ModelwireError(
        `message size ${length} is larger than configured readMaxBytes ${readMaxBytes}`,
        Code.ResourceExhausted,
      ),
    };
  if ((body[0] & 1) === 1)
    return { error: new ModelwireError("protocol error: compressed response without grpc-encoding", Code.Internal) };
  if (body.length !== 5 + length)
    return { error: new ModelwireError("protocol error: malformed response envelope", Code.Internal) };
  return { message: body.subarray(5) };
}

/**
 * The outcome of a finished gRPC response, from its HTTP status, headers, trailers (or a trailers-only HEADERS
 * frame) and the stream's RST_STREAM code: undefined for `grpc-status: 0`, else the {@link ModelwireError} the
 * server sent (code, percent-decoded `grpc-message`, `mw-meta-*` metadata) or one describing the transport failure.
 */
export function responseStatusError(
  status: number | undefined,
  head: http2.IncomingHttpHeaders | undefined,
  trailers: http2.IncomingHttpHeaders | undefined,
  rstCode: number,
): ModelwireError | undefined {
  if (status === undefined) {
    if (rstCode === NGHTTP2_REFUSED_STREAM) return new ModelwireError("stream refused", Code.Unavailable);
    if (rstCode === NGHTTP2_CANCEL) return new ModelwireError("stream canceled by the server", Code.Canceled);
    if (rstCode === NGHTTP2_ENHANCE_YOUR_CALM) return new ModelwireError("ENHANCE_YOUR_CALM", Code.ResourceExhausted);
    return new ModelwireError(`stream closed without a response (rst code ${rstCode})`, Code.Unavailable);
  }
  if (status !== 200) return new ModelwireError(`HTTP ${status}`, grpcCodeForHttp(status));
  const statusHeaders = trailers?.["grpc-status"] !== undefined ? trailers : head;
  const grpcStatus = statusHeaders?.["grpc-status"];
  if (grpcStatus === undefined) {
    return new ModelwireError(
      rstCode ? `stream reset (rst code ${rstCode})` : "protocol error: missing grpc-status",
      rstCode ? Code.Unavailable : Code.Internal,
    );
  }
  const code = Number(grpcStatus);
  if (code === 0) return undefined;
  const raw = String(statusHeaders?.["grpc-message"] ?? "");
  let text = raw;
  try {
    text = decodeURIComponent(raw);
  } catch {}
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(statusHeaders ?? {})) {
    if (!k.startsWith("mw-meta-") || typeof v !== "string") continue;
    try {
      metadata[k.slice(8)] = decodeURIComponent(v);
    } catch {
      metadata[k.slice(8)] = v;
    }
  }
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

/** A `grpc-timeout` value (at most 8 digits) for `ms` milliseconds, rounded up. */
export function grpcTimeout(ms: number): string {
  const m = Math.max(0, Math.ceil(ms));
  if (m < 1e8) return `${m}m`;
  const s = Math.ceil(m / 1000);
  if (s < 1e8) return `${s}S`;
  return `${Math.min(99_999_999, Math.ceil(s / 3600))}H`;
}
