import { type DescMessage, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { Code, ModelwireError } from "@modelwire/core";
import type { Engine, EngineContext } from "@modelwire/engine";
import { createFastHandler } from "./fast-server-call.js";
import type { FastHandlerOptions } from "./fast-server-common.js";
import { writeLimitError } from "./grpc-wire.js";
import type { FastRequest, FastResponse } from "./server-wires.js";

type RunUnary = (engine: Engine, request: never, ctx: EngineContext) => Promise<unknown>;

const runners: Record<string, { method: string; call: RunUnary }> = {
  embed: { method: "embed", call: (e, r, c) => e.embed(r, c) },
  listModels: { method: "list", call: (e, _r, c) => e.list(c) },
  listRunning: { method: "running", call: (e, _r, c) => e.running(c) },
  showModel: { method: "show", call: (e, r, c) => e.show(r, c) },
  version: { method: "version", call: (e, _r, c) => e.version(c) },
};

/**
 * The server's fast path for unary calls in binary, uncompressed gRPC (HTTP/2), gRPC-Web and the Connect protocol
 * (`application/proto`; both also over HTTP/1.1): it reads the one message, calls the engine and answers with one
 * message and the status as the protocol carries it, without connect-node's per-call async-iterable pipeline,
 * Headers objects and abort signals (see docs/connect-perf.md for why that pipeline costs ~5× the CPU of grpc-js).
 * Returns a handler that answers and returns true for the requests it takes, and returns false (touching nothing)
 * for everything else — streaming calls, JSON, compressed requests, gRPC-Web text, Connect GET — which
 * connect-node serves.
 *
 * Behaviour matches connect-node's gRPC handler: the same limits (RESOURCE_EXHAUSTED), `grpc-timeout`
 * (DEADLINE_EXCEEDED, the engine's signal fired), client cancel (engine stopped), bearer auth (UNAUTHENTICATED),
 * error codes and messages, and the observer calls.
 */
export function createFastUnaryHandler(options: FastHandlerOptions): (req: FastRequest, res: FastResponse) => boolean {
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
        else call.finish(undefined, bytes);
      },
      (e) => call.finish(ModelwireError.from(e, Code.Internal)),
    );
  });
}
