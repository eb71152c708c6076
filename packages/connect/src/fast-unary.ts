import { timingSafeEqual } from "node:crypto";
import type * as http2 from "node:http2";
import { type DescMessage, fromBinary, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { Code, InferenceService, ModelwireError, type ServerObserver } from "@modelwire/core";
import type { Engine, EngineContext } from "@modelwire/engine";
import { envelope, errorTrailers, parseGrpcTimeout, readUnaryEnvelope } from "./grpc-wire.js";
import type { InFlightCounter } from "./service.js";

/** What {@link createFastUnaryHandler} needs from the server. */
export interface FastUnaryOptions {
  engine: Engine;
  observer: ServerObserver;
  counter: InFlightCounter;
  readMaxBytes: number;
  writeMaxBytes: number;
  maxTimeoutMs?: number;
  authToken?: string;
  /** Fires when the server gives up on calls in flight (after the close grace period). */
  shutdownSignal: AbortSignal;
}

interface UnaryRoute {
  method: string;
  input: DescMessage;
  output: DescMessage;
  run(engine: Engine, request: never, ctx: EngineContext): Promise<unknown>;
}

const runners: Record<string, { method: string; run: UnaryRoute["run"] }> = {
  embed: { method: "embed", run: (e, r, c) => e.embed(r, c) },
  listModels: { method: "list", run: (e, _r, c) => e.list(c) },
  listRunning: { method: "running", run: (e, _r, c) => e.running(c) },
  showModel: { method: "show", run: (e, r, c) => e.show(r, c) },
  version: { method: "version", run: (e, _r, c) => e.version(c) },
};

const CANCELED = new ModelwireError("canceled by the client", Code.Canceled);
const OK_TRAILERS = { "grpc-status": "0" };
const SHUTDOWN = new ModelwireError("server shutting down", Code.Unavailable);

/**
 * The server's fast path for unary gRPC calls over HTTP/2 (`application/grpc` or `application/grpc+proto`,
 * uncompressed): it reads the one enveloped message, calls the engine and answers with one message and
 * `grpc-status`, without connect-node's per-call async-iterable pipeline, Headers objects and abort signals (see
 * docs/connect-perf.md for why that pipeline costs ~5× the CPU of grpc-js). Returns a handler that answers and
 * returns true for the requests it takes, and returns false (touching nothing) for everything else — streaming
 * calls, JSON, compressed requests, gRPC-Web, the Connect protocol, HTTP/1.1 — which connect-node serves.
 *
 * Behaviour matches connect-node's gRPC handler: the same limits (RESOURCE_EXHAUSTED), `grpc-timeout`
 * (DEADLINE_EXCEEDED, the engine's signal fired), client cancel (engine stopped), bearer auth (UNAUTHENTICATED),
 * error codes and messages, and the observer calls.
 */
export function createFastUnaryHandler(
  options: FastUnaryOptions,
): (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => boolean {
  const routes = new Map<string, UnaryRoute>();
  for (const m of InferenceService.methods) {
    const r = runners[m.localName];
    if (m.methodKind !== "unary" || !r) continue;
    routes.set(`/${InferenceService.typeName}/${m.name}`, {
      method: r.method,
      input: m.input,
      output: m.output,
      run: r.run,
    });
  }
  const expectedAuth = options.authToken === undefined ? undefined : Buffer.from(`Bearer ${options.authToken}`);
  const { engine, observer, counter, readMaxBytes, writeMaxBytes } = options;

  function authorized(header: string | undefined): boolean {
    if (!expectedAuth) return true;
    const got = Buffer.from(header ?? "");
    return got.length === expectedAuth.length && timingSafeEqual(got, expectedAuth);
  }

  return function fastUnary(req, res) {
    if (req.method !== "POST") return false;
    const route = routes.get(req.url);
    if (!route) return false;
    const h = req.headers;
    const contentType = h["content-type"];
    if (contentType !== "application/grpc" && contentType !== "application/grpc+proto") return false;
    const encoding = h["grpc-encoding"];
    if (encoding !== undefined && encoding !== "identity") return false;

    counter.inFlight++;
    const obs = observer.callStarted("grpc", route.method);
    let finished = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let controller: AbortController | undefined;

    const finish = (error?: ModelwireError, body?: Uint8Array) => {
      if (finished) return;
      finished = true;
      counter.inFlight--;
      if (timer !== undefined) clearTimeout(timer);
      options.shutdownSignal.removeEventListener("abort", onShutdown);
      if (error && controller && !controller.signal.aborted) controller.abort(error);
      obs.end(error);
      if (res.stream.destroyed || res.stream.closed) return;
      if (error) {
        const trailers = errorTrailers(error);
        // Headers, then the status in trailers (the compat API cannot send a trailers-only HEADERS frame).
        res.writeHead(200, { "content-type": contentType });
        res.addTrailers(trailers);
        res.end();
        return;
      }
      res.writeHead(200, { "content-type": contentType });
      res.addTrailers(OK_TRAILERS);
      res.end(body!);
    };
    const onShutdown = () => finish(SHUTDOWN);
    options.shutdownSignal.addEventListener("abort", onShutdown);

    if (!authorized(h.authorization)) {
      finish(new ModelwireError("missing or invalid bearer token", Code.Unauthenticated));
      return true;
    }
    const timeoutMs = parseGrpcTimeout(h["grpc-timeout"] as string | undefined);
    if (timeoutMs === null) {
      finish(
        new ModelwireError(`protocol error: invalid grpc timeout value: ${h["grpc-timeout"]}`, Code.InvalidArgument),
      );
      return true;
    }
    if (timeoutMs !== undefined && options.maxTimeoutMs !== undefined && timeoutMs > options.maxTimeoutMs) {
      finish(new ModelwireError(`timeout ${timeoutMs}ms must be <= ${options.maxTimeoutMs}`, Code.InvalidArgument));
      return true;
    }
    const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => finish(new ModelwireError("the operation timed out", Code.DeadlineExceeded)), timeoutMs);
    }

    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      if (finished) return;
      size += chunk.length;
      if (size > readMaxBytes + 5) {
        finish(
          new ModelwireError(
            `message size is larger than configured readMaxBytes ${readMaxBytes}`,
            Code.ResourceExhausted,
          ),
        );
        return;
      }
      chunks.push(chunk);
    });
    // The client reset the stream (cancel) before we answered: stop the engine.
    res.once("close", () => finish(CANCELED));
    req.once("end", () => {
      if (finished) return;
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      const env = readUnaryEnvelope(body, readMaxBytes);
      if (!env.ok) {
        finish(new ModelwireError(env.message, env.code));
        return;
      }
      let request: MessageShape<DescMessage>;
      try {
        request = fromBinary(route.input, env.message);
      } catch (e) {
        finish(
          new ModelwireError(`failed to decode ${route.input.typeName}: ${(e as Error).message}`, Code.InvalidArgument),
        );
        return;
      }
      controller = new AbortController();
      const ctx: EngineContext =
        deadline === undefined ? { signal: controller.signal } : { signal: controller.signal, deadline };
      let pending: Promise<unknown>;
      try {
        pending = route.run(engine, request as never, ctx);
      } catch (e) {
        finish(ModelwireError.from(e, Code.Internal));
        return;
      }
      pending.then(
        (result) => {
          if (finished) return;
          const bytes = toBinary(route.output, result as MessageShape<DescMessage>);
          if (bytes.length > writeMaxBytes) {
            finish(
              new ModelwireError(
                `message size ${bytes.length} is larger than configured writeMaxBytes ${writeMaxBytes}`,
                Code.ResourceExhausted,
              ),
            );
            return;
          }
          finish(undefined, envelope(bytes));
        },
        (e) => finish(ModelwireError.from(e, Code.Internal)),
      );
    });
    return true;
  };
}
