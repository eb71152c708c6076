import type * as http2 from "node:http2";
import { type DescMessage, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { Code, ModelwireError } from "@modelwire/core";
import type { Engine, EngineContext } from "@modelwire/engine";
import {
  buildRoutes,
  CANCELED,
  checkCallHeaders,
  createBearerCheck,
  decodeRequest,
  type FastHandlerOptions,
  fastGrpcContentType,
  OK_TRAILERS,
  SHUTDOWN,
} from "./fast-server-common.js";
import { envelope, errorTrailers, readLimitError, writeLimitError } from "./grpc-wire.js";

type RunUnary = (engine: Engine, request: never, ctx: EngineContext) => Promise<unknown>;

const runners: Record<string, { method: string; call: RunUnary }> = {
  embed: { method: "embed", call: (e, r, c) => e.embed(r, c) },
  listModels: { method: "list", call: (e, _r, c) => e.list(c) },
  listRunning: { method: "running", call: (e, _r, c) => e.running(c) },
  showModel: { method: "show", call: (e, r, c) => e.show(r, c) },
  version: { method: "version", call: (e, _r, c) => e.version(c) },
};

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
  options: FastHandlerOptions,
): (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => boolean {
  const routes = buildRoutes("unary", runners);
  const authorized = createBearerCheck(options.authToken);
  const { engine, observer, counter, readMaxBytes, writeMaxBytes } = options;

  return function fastUnary(req, res) {
    if (req.method !== "POST") return false;
    const route = routes.get(req.url);
    if (!route) return false;
    const h = req.headers;
    const contentType = fastGrpcContentType(h);
    if (contentType === undefined) return false;

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

    const timeoutMs = checkCallHeaders(h, authorized, options.maxTimeoutMs);
    if (timeoutMs instanceof ModelwireError) {
      finish(timeoutMs);
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
        finish(readLimitError(readMaxBytes));
        return;
      }
      chunks.push(chunk);
    });
    // The client reset the stream (cancel) before we answered: stop the engine.
    res.once("close", () => finish(CANCELED));
    req.once("end", () => {
      if (finished) return;
      const request = decodeRequest(route.input, chunks, readMaxBytes, false);
      if (request instanceof ModelwireError) {
        finish(request);
        return;
      }
      controller = new AbortController();
      const ctx: EngineContext =
        deadline === undefined ? { signal: controller.signal } : { signal: controller.signal, deadline };
      let pending: Promise<unknown>;
      try {
        pending = route.call(engine, request as never, ctx);
      } catch (e) {
        finish(ModelwireError.from(e, Code.Internal));
        return;
      }
      pending.then(
        (result) => {
          if (finished) return;
          const bytes = toBinary(route.output, result as MessageShape<DescMessage>);
          if (bytes.length > writeMaxBytes) {
            finish(writeLimitError(bytes.length, writeMaxBytes));
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
