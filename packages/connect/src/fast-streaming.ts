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
  type FastRoute,
  fastGrpcContentType,
  OK_TRAILERS,
  SHUTDOWN,
} from "./fast-server-common.js";
import { envelope, errorTrailers, readLimitError, writeLimitError } from "./grpc-wire.js";

type OpenStream = (engine: Engine, request: never, ctx: EngineContext) => AsyncIterable<{ done: boolean }>;

const openers: Record<string, { method: string; call: OpenStream }> = {
  generate: { method: "generate", call: (e, r, c) => e.generate(r, c) },
  chat: { method: "chat", call: (e, r, c) => e.chat(r, c) },
};

const DEADLINE = new ModelwireError("the operation timed out", Code.DeadlineExceeded);

/**
 * The server's fast path for server-streaming gRPC calls (Generate, Chat) over HTTP/2 (`application/grpc` or
 * `application/grpc+proto`, uncompressed): it reads the one enveloped request, pulls the engine's stream and writes
 * one enveloped message per chunk, then `grpc-status` in trailers — without connect-node's per-call and per-message
 * async-iterable pipeline. Returns a handler that answers and returns true for the requests it takes, and returns
 * false (touching nothing) for everything else, which connect-node serves.
 *
 * Behaviour matches the connect-node path: request size limit and malformed envelopes (coded errors), the
 * `grpc-timeout` deadline (enforced here: DEADLINE_EXCEEDED in trailers, the engine's signal fired; also handed to
 * the engine as `ctx.deadline`), a client RST_STREAM or server shutdown stops the engine, `writeMaxBytes` per
 * message, bearer auth, observer calls. Writes respect HTTP/2 flow control: when `write()` returns false the engine
 * is not pulled again until 'drain'. An error after messages were sent travels in the trailers.
 */
export function createFastStreamingHandler(
  options: FastHandlerOptions,
): (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => boolean {
  const routes = buildRoutes("server_streaming", openers);
  const authorized = createBearerCheck(options.authToken);
  const { engine, observer, counter, readMaxBytes, writeMaxBytes } = options;

  return function fastStreaming(req, res) {
    if (req.method !== "POST") return false;
    const found = routes.get(req.url);
    if (!found) return false;
    const route: FastRoute<OpenStream> = found;
    const h = req.headers;
    const contentType = fastGrpcContentType(h);
    if (contentType === undefined) return false;

    counter.inFlight++;
    const obs = observer.callStarted("grpc", route.method);
    let finished = false;
    let headersSent = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let controller: AbortController | undefined;
    let wakeDrain: (() => void) | undefined;

    const sendHeaders = () => {
      if (headersSent) return;
      headersSent = true;
      res.writeHead(200, { "content-type": contentType });
    };
    const finish = (error?: ModelwireError) => {
      if (finished) return;
      finished = true;
      counter.inFlight--;
      if (timer !== undefined) clearTimeout(timer);
      options.shutdownSignal.removeEventListener("abort", onShutdown);
      // Stops the engine when the call ends early (deadline, cancel, shutdown, a write limit).
      if (error && controller && !controller.signal.aborted) controller.abort(error);
      const wake = wakeDrain;
      wakeDrain = undefined;
      wake?.();
      obs.end(error);
      if (res.stream.destroyed || res.stream.closed) return;
      sendHeaders();
      res.addTrailers(error ? errorTrailers(error) : OK_TRAILERS);
      res.end();
    };
    const onShutdown = () => finish(SHUTDOWN);
    options.shutdownSignal.addEventListener("abort", onShutdown);

    const timeoutMs = checkCallHeaders(h, authorized, options.maxTimeoutMs);
    if (timeoutMs instanceof ModelwireError) {
      finish(timeoutMs);
      return true;
    }
    const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    if (timeoutMs !== undefined) timer = setTimeout(() => finish(DEADLINE), timeoutMs);

    const waitForDrain = () =>
      new Promise<void>((resolve) => {
        const done = () => {
          res.off("drain", done);
          wakeDrain = undefined;
          resolve();
        };
        wakeDrain = done;
        res.once("drain", done);
      });

    let corked = false;
    const uncork = () => {
      corked = false;
      res.stream.uncork();
    };

    async function pump(request: MessageShape<DescMessage>): Promise<void> {
      controller = new AbortController();
      const ctx: EngineContext =
        deadline === undefined ? { signal: controller.signal } : { signal: controller.signal, deadline };
      let iterator: AsyncIterator<{ done: boolean }> | undefined;
      let completed = false;
      try {
        iterator = route.call(engine, request as never, ctx)[Symbol.asyncIterator]();
        for (;;) {
          const r = await iterator.next();
          if (r.done) {
            completed = true;
            break;
          }
          if (finished) break;
          const bytes = toBinary(route.output, r.value as unknown as MessageShape<DescMessage>);
          if (bytes.length > writeMaxBytes) {
            finish(writeLimitError(bytes.length, writeMaxBytes));
            break;
          }
          if (!r.value.done) obs.chunk();
          sendHeaders();
          // Messages the engine yields within one tick (a zero-delay engine yields them all at once) leave in one
          // write, hence fewer DATA frames and fewer reads on the client; uncorked on the next tick, so a token
          // is never held back.
          if (!corked) {
            corked = true;
            res.stream.cork();
            process.nextTick(uncork);
          }
          if (!res.write(envelope(bytes))) {
            await waitForDrain();
            if (finished) break;
          }
        }
      } catch (e) {
        completed = true; // a generator that threw is done
        // After a deadline or cancel the engine rethrows its signal's reason; the call has ended already.
        finish(ModelwireError.from(e, Code.Internal));
      }
      if (!finished) finish();
      else if (!completed && iterator?.return) {
        // Lets the engine's generator run its `finally` (its signal has fired already).
        iterator.return().catch(() => {});
      }
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
    // The client reset the stream (cancel) or the connection died before the call ended: stop the engine.
    res.once("close", () => finish(CANCELED));
    req.once("end", () => {
      if (finished) return;
      const request = decodeRequest(route.input, chunks, readMaxBytes, true);
      if (request instanceof ModelwireError) {
        finish(request);
        return;
      }
      void pump(request);
    });
    return true;
  };
}
