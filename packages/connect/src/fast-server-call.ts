import type * as http2 from "node:http2";
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { type CallObserver, Code, type LongTimeout, ModelwireError, setLongTimeout } from "@modelwire/core";
import type { EngineContext } from "@modelwire/engine";
import {
  buildRoutes,
  CANCELED,
  checkCallHeaders,
  createBearerCheck,
  decodeRequest,
  type FastHandlerOptions,
  type FastRoute,
  fastGrpcContentType,
  headerText,
  OK_TRAILERS,
  SHUTDOWN,
} from "./fast-server-common.js";
import { errorTrailers, readLimitError } from "./grpc-wire.js";

/** Ends a call whose `grpc-timeout` passed. */
const DEADLINE = new ModelwireError("the operation timed out", Code.DeadlineExceeded);

/**
 * One gRPC call on a server fast path, from the accepted request to its trailers: the in-flight count, the
 * observer, the deadline timer, the shutdown listener (the call is its own `EventListener`, so none is allocated)
 * and the engine's abort controller. {@link finish} ends it exactly once, whatever ends it first.
 */
export class FastServerCall<F> {
  /** True once {@link finish} ran. */
  finished = false;
  /** Runs once when the call ends, before its trailers are written (e.g. to wake a pump waiting for 'drain'). */
  onEnd: (() => void) | undefined;
  /** The deadline (epoch ms) from `grpc-timeout`, once {@link startDeadline} ran. */
  deadline: number | undefined;
  private headersSent = false;
  private timer: LongTimeout | undefined;
  private controller: AbortController | undefined;

  constructor(
    readonly route: FastRoute<F>,
    readonly res: http2.Http2ServerResponse,
    private readonly contentType: string,
    private readonly obs: CallObserver,
    private readonly options: FastHandlerOptions,
  ) {
    options.counter.inFlight++;
    options.shutdownSignal.addEventListener("abort", this);
  }

  /** The shutdown signal fired: the server gives up on this call. */
  handleEvent(): void {
    this.finish(SHUTDOWN);
  }

  /** Ends the call with DEADLINE_EXCEEDED after `timeoutMs` (chained past Node's timer limit: `99999999H` works). */
  startDeadline(timeoutMs: number): void {
    this.deadline = Date.now() + timeoutMs;
    this.timer = setLongTimeout(() => this.finish(DEADLINE), timeoutMs);
  }

  /** The engine's context for this call; its signal fires when the call ends early. */
  engineContext(): EngineContext {
    const controller = new AbortController();
    this.controller = controller;
    const headers = this.res.req.headers;
    const requestMetadata = (k: string) => headerText(headers[k]);
    return this.deadline === undefined
      ? { signal: controller.signal, requestMetadata }
      : { signal: controller.signal, deadline: this.deadline, requestMetadata };
  }

  /** Reports a content chunk to the observer. */
  chunk(): void {
    this.obs.chunk();
  }

  /** Sends the response headers, once. */
  sendHeaders(): void {
    if (this.headersSent) return;
    this.headersSent = true;
    this.res.writeHead(200, { "content-type": this.contentType });
  }

  /**
   * Ends the call: with `error` (its engine call is aborted, the status travels in the trailers) or with success
   * and, for a unary call, the enveloped `body`. Only the first call counts.
   */
  finish(error?: ModelwireError, body?: Uint8Array): void {
    if (this.finished) return;
    this.finished = true;
    const options = this.options;
    options.counter.inFlight--;
    this.timer?.clear();
    options.shutdownSignal.removeEventListener("abort", this);
    // Stops the engine when the call ends early (deadline, cancel, shutdown, a write limit).
    if (error && this.controller && !this.controller.signal.aborted) this.controller.abort(error);
    const onEnd = this.onEnd;
    this.onEnd = undefined;
    onEnd?.();
    this.obs.end(error);
    const res = this.res;
    if (res.stream.destroyed || res.stream.closed) return;
    // Headers, then the status in trailers (the compat API cannot send a trailers-only HEADERS frame).
    this.sendHeaders();
    res.addTrailers(error ? errorTrailers(error) : OK_TRAILERS);
    if (body === undefined) res.end();
    else res.end(body);
  }
}

/**
 * The shared front of the server's fast paths: takes a request only when it is a POST to one of the
 * InferenceService methods of `kind` in `table`, as uncompressed `application/grpc[+proto]`; everything else
 * returns false untouched (connect-node serves it). A taken call is checked (bearer auth, `grpc-timeout`), its
 * body is read within `readMaxBytes` and decoded, a client reset ends it with CANCELED, and then `start` runs it.
 */
export function createFastHandler<F>(
  options: FastHandlerOptions,
  kind: "unary" | "server_streaming",
  table: Record<string, { method: string; call: F }>,
  start: (call: FastServerCall<F>, request: MessageShape<DescMessage>) => void,
): (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => boolean {
  const routes = buildRoutes(kind, table);
  const authorized = createBearerCheck(options.authToken);
  const streaming = kind === "server_streaming";
  const { observer, readMaxBytes } = options;

  return function fastHandler(req, res) {
    if (req.method !== "POST") return false;
    const route = routes.get(req.url);
    if (!route) return false;
    const h = req.headers;
    const contentType = fastGrpcContentType(h);
    if (contentType === undefined) return false;

    const call = new FastServerCall(route, res, contentType, observer.callStarted("grpc", route.method), options);
    const timeoutMs = checkCallHeaders(h, authorized, options.maxTimeoutMs);
    if (timeoutMs instanceof ModelwireError) {
      call.finish(timeoutMs);
      return true;
    }
    if (timeoutMs !== undefined) call.startDeadline(timeoutMs);

    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      if (call.finished) return;
      size += chunk.length;
      if (size > readMaxBytes + 5) {
        call.finish(readLimitError(readMaxBytes));
        return;
      }
      chunks.push(chunk);
    });
    // The client reset the stream (cancel) or the connection died before the call ended: stop the engine.
    res.once("close", () => call.finish(CANCELED));
    req.once("end", () => {
      if (call.finished) return;
      const request = decodeRequest(route.input, chunks, readMaxBytes, streaming);
      if (request instanceof ModelwireError) call.finish(request);
      else start(call, request);
    });
    return true;
  };
}
