import { type DescMessage, fromBinary, type MessageShape } from "@bufbuild/protobuf";
import { type CallObserver, Code, type LongTimeout, ModelwireError, setLongTimeout } from "@modelwire/core";
import type { EngineContext } from "@modelwire/engine";
import { protocolError } from "./errors.js";
import {
  buildRoutes,
  CANCELED,
  checkCallHeaders,
  createBearerCheck,
  type FastHandlerOptions,
  type FastRoute,
  headerText,
  SHUTDOWN,
} from "./fast-server-common.js";
import { decodeError, readLimitError } from "./grpc-wire.js";
import { createRequestReader } from "./request-reader.js";
import {
  type FastRequest,
  type FastResponse,
  responseGone,
  type ServerWire,
  serverWireFor,
  type WireCall,
} from "./server-wires.js";

/** Ends a call whose `grpc-timeout` passed. */
const DEADLINE = new ModelwireError("the operation timed out", Code.DeadlineExceeded);

/**
 * One call on a server fast path, from the accepted request to its end (trailers, trailer or end-stream frame, as
 * its {@link ServerWire} says): the in-flight count, the observer, the deadline timer, the shutdown listener (the
 * call is its own `EventListener`, so none is allocated) and the engine's abort controller. {@link finish} ends it
 * exactly once, whatever ends it first.
 */
export class FastServerCall<F> implements WireCall {
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
    readonly res: FastResponse,
    readonly wire: ServerWire,
    private readonly contentType: string,
    private readonly obs: CallObserver,
    readonly options: FastHandlerOptions,
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
   * Ends the call: with `error` (its engine call is aborted, the status travels as the wire says) or with success
   * and, for a unary call, its response message's bytes. Only the first call counts.
   */
  finish(error?: ModelwireError, message?: Uint8Array): void {
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
    if (responseGone(this.res)) return;
    this.wire.end(this, error, message);
  }
}

/**
 * The shared front of the server's fast paths: takes a request only when it is a POST to one of the
 * InferenceService methods of `kind` in `table`, in a protocol and content type a {@link ServerWire} serves
 * (uncompressed binary gRPC over HTTP/2, gRPC-Web, the Connect protocol; see {@link serverWireFor}); everything
 * else returns false untouched (connect-node serves it). A taken call is checked (bearer auth, the deadline
 * header), its body is read within `readMaxBytes` and decoded, a client reset ends it with CANCELED, and then
 * `start` runs it.
 */
export function createFastHandler<F>(
  options: FastHandlerOptions,
  kind: "unary" | "server_streaming",
  table: Record<string, { method: string; call: F }>,
  start: (call: FastServerCall<F>, request: MessageShape<DescMessage>) => void,
): (req: FastRequest, res: FastResponse) => boolean {
  const routes = buildRoutes(kind, table);
  const authorized = createBearerCheck(options.authToken);
  const streaming = kind === "server_streaming";
  const { observer } = options;

  return function fastHandler(req, res) {
    if (req.method !== "POST") return false;
    const route = routes.get(req.url as string);
    if (!route) return false;
    const wire = serverWireFor(kind, req);
    if (wire === undefined) return false;
    const h = req.headers;
    const contentType = wire.responseType(h["content-type"] as string);
    const obs = observer.callStarted(wire.protocol, route.method);
    const call = new FastServerCall(route, res, wire, contentType, obs, options);
    const timeoutMs = checkCallHeaders(h, wire, authorized, options.maxTimeoutMs);
    if (timeoutMs instanceof ModelwireError) {
      call.finish(timeoutMs);
      return true;
    }
    if (timeoutMs !== undefined) call.startDeadline(timeoutMs);

    // The client reset the stream (cancel) or the connection died before the call ended: stop the engine.
    res.once("close", () => call.finish(CANCELED));
    const body = wire.enveloped ? envelopedBody(call, req, start, streaming) : bareBody(call, req, start);
    if (body) call.finish(body);
    return true;
  };
}

/**
 * Decodes a request message, or returns the protocol error that ends the call: INVALID_ARGUMENT on the Connect
 * protocol (as connect-go; see parse-status.ts), INTERNAL on gRPC and gRPC-Web (gRPC's status table: "error
 * parsing request proto").
 */
function decode(input: DescMessage, bytes: Uint8Array, wire: ServerWire): MessageShape<DescMessage> | ModelwireError {
  try {
    return fromBinary(input, bytes);
  } catch (e) {
    return decodeError(input.typeName, e, wire.protocol === "connect" ? Code.InvalidArgument : Code.Internal);
  }
}

/** Reads an enveloped request body as connect-node does (see {@link createRequestReader}), then starts the call. */
function envelopedBody<F>(
  call: FastServerCall<F>,
  req: FastRequest,
  start: (call: FastServerCall<F>, request: MessageShape<DescMessage>) => void,
  streaming: boolean,
): undefined {
  let request: MessageShape<DescMessage> | undefined;
  const input = call.route.input;
  const reader = createRequestReader(
    call.options.readMaxBytes,
    streaming ? "server-streaming" : "unary",
    call.wire.skipFlag,
    (bytes) => {
      const r = decode(input, bytes, call.wire);
      if (r instanceof ModelwireError) return r;
      request = r;
      return undefined;
    },
  );
  req.on("data", (chunk: Buffer) => {
    if (call.finished) return;
    const bad = reader.push(chunk);
    if (bad) call.finish(bad instanceof ModelwireError ? bad : protocolError(bad.message, bad.code));
  });
  req.once("end", () => {
    if (call.finished) return;
    const bad = reader.end();
    if (bad) call.finish(protocolError(bad.message, bad.code));
    else start(call, request!);
  });
  return undefined;
}

/**
 * Reads a bare request body (Connect unary) within `readMaxBytes` as connect-node does — a `content-length` over
 * the limit is refused before any byte is read — then starts the call. Returns the error that ends it at once.
 */
function bareBody<F>(
  call: FastServerCall<F>,
  req: FastRequest,
  start: (call: FastServerCall<F>, request: MessageShape<DescMessage>) => void,
): ModelwireError | undefined {
  const { readMaxBytes } = call.options;
  const hint = Number.parseInt(String(req.headers["content-length"]), 10);
  if (Number.isSafeInteger(hint) && hint > readMaxBytes) {
    req.resume();
    return protocolError(
      `message size ${hint} is larger than configured readMaxBytes ${readMaxBytes}`,
      Code.ResourceExhausted,
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  req.on("data", (chunk: Buffer) => {
    if (call.finished) return;
    size += chunk.length;
    if (size > readMaxBytes) call.finish(readLimitError(readMaxBytes));
    else chunks.push(chunk);
  });
  req.once("end", () => {
    if (call.finished) return;
    const r = decode(call.route.input, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks), call.wire);
    if (r instanceof ModelwireError) call.finish(r);
    else start(call, r);
  });
  return undefined;
}
