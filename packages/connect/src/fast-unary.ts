import type * as http2 from "node:http2";
import { type DescMessage, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { Code, ModelwireError } from "@modelwire/core";
import type { Engine, EngineContext } from "@modelwire/engine";
import { createFastHandler } from "./fast-server-call.js";
import type { FastHandlerOptions } from "./fast-server-common.js";
import { envelope, writeLimitError } from "./grpc-wire.js";

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
  const { engine, writeMaxBytes } = options;
  return createFastHandler(options, "unary", runners, (call, request) => {
    let pending: Promise<unknown>;
    try {
      pending = call.route.call(engine, request as never, call.engineContext());
    } catch (e) {
      call.finish(ModelwireError.from(e, Code.Internal));
      return;
    }
    pending.then(
      (result) => {
        if (call.finished) return;
        const bytes = toBinary(call.route.output, result as MessageShape<DescMessage>);
        if (bytes.length > writeMaxBytes) call.finish(writeLimitError(bytes.length, writeMaxBytes));
        else call.finish(undefined, envelope(bytes));
      },
      (e) => call.finish(ModelwireError.from(e, Code.Internal)),
    );
  });
}
