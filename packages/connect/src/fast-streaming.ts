import { type DescMessage, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { Code, createCoalescingWriter, joinBuffers, ModelwireError, type WriteTarget } from "@modelwire/core";
import type { Engine, EngineContext } from "@modelwire/engine";
import { createFastHandler, type FastServerCall } from "./fast-server-call.js";
import type { FastHandlerOptions } from "./fast-server-common.js";
import { envelope, writeLimitError } from "./grpc-wire.js";
import { corkTarget, type FastRequest, type FastResponse } from "./server-wires.js";

type OpenStream = (engine: Engine, request: never, ctx: EngineContext) => AsyncIterable<{ done: boolean }>;

const openers: Record<string, { method: string; call: OpenStream }> = {
  generate: { method: "generate", call: (e, r, c) => e.generate(r, c) },
  chat: { method: "chat", call: (e, r, c) => e.chat(r, c) },
};

/**
 * The server's fast path for server-streaming calls (Generate, Chat) in binary, uncompressed gRPC (HTTP/2),
 * gRPC-Web and the Connect protocol (`application/connect+proto`; both also over HTTP/1.1): it reads the one
 * enveloped request, pulls the engine's stream and writes one enveloped message per chunk, then the status as the
 * protocol carries it (`grpc-status` in trailers, a gRPC-Web trailer frame, a Connect end-stream frame) — without
 * connect-node's per-call and per-message async-iterable pipeline. Returns a handler that answers and returns true
 * for the requests it takes, and returns false (touching nothing) for everything else, which connect-node serves.
 *
 * Behaviour matches the connect-node path: request size limit and malformed envelopes (coded errors), the
 * `grpc-timeout` deadline (enforced here: DEADLINE_EXCEEDED in trailers, the engine's signal fired; also handed to
 * the engine as `ctx.deadline`), a client RST_STREAM or server shutdown stops the engine, `writeMaxBytes` per
 * message, bearer auth, observer calls. Writes respect HTTP/2 flow control: when `write()` returns false the engine
 * is not pulled again until 'drain'; a token written while earlier ones still wait for the peer is joined with the
 * next ones (createCoalescingWriter: a few write requests per stream, not one per token). An error after messages
 * were sent travels in the trailers.
 */
export function createFastStreamingHandler(
  options: FastHandlerOptions,
): (req: FastRequest, res: FastResponse) => boolean {
  const { engine, writeMaxBytes } = options;
  return createFastHandler(options, "server_streaming", openers, (call, request) => {
    void pump(call, request, engine, writeMaxBytes);
  });
}

/** Pulls the engine's stream into the response, one enveloped message per chunk, until the call ends. */
async function pump(
  call: FastServerCall<OpenStream>,
  request: MessageShape<DescMessage>,
  engine: Engine,
  writeMaxBytes: number,
): Promise<void> {
  const { res, route } = call;
  const corkable = corkTarget(res);
  let corked = false;
  const uncork = () => {
    corked = false;
    corkable.uncork();
  };
  const waitForDrain = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        res.off("drain", done);
        call.onEnd = undefined;
        resolve();
      };
      call.onEnd = done;
      res.once("drain", done);
    });

  // Tokens written while earlier ones still wait for the peer are joined (few write requests queued per stream).
  const writer = createCoalescingWriter(res as unknown as WriteTarget<Buffer>, joinBuffers);
  let iterator: AsyncIterator<{ done: boolean }> | undefined;
  let completed = false;
  try {
    iterator = route.call(engine, request as never, call.engineContext())[Symbol.asyncIterator]();
    for (;;) {
      const r = await iterator.next();
      if (r.done) {
        completed = true;
        break;
      }
      if (call.finished) break;
      const bytes = toBinary(route.output, r.value as unknown as MessageShape<DescMessage>);
      if (bytes.length > writeMaxBytes) {
        call.finish(writeLimitError(bytes.length, writeMaxBytes));
        break;
      }
      if (!r.value.done) call.chunk();
      call.sendHeaders();
      // Messages the engine yields within one tick (a zero-delay engine yields them all at once) leave in one
      // write, hence fewer DATA frames and fewer reads on the client; uncorked on the next tick, so a token
      // is never held back.
      if (!corked) {
        corked = true;
        corkable.cork();
        process.nextTick(uncork);
      }
      if (!writer.write(envelope(bytes))) {
        await waitForDrain();
        if (call.finished) break;
      }
    }
  } catch (e) {
    completed = true; // a generator that threw is done
    // After a deadline or cancel the engine rethrows its signal's reason; the call has ended already.
    if (!call.finished) writer.flush();
    call.finish(ModelwireError.from(e, Code.Internal));
  }
  if (!call.finished) {
    writer.flush();
    call.finish();
  } else if (!completed && iterator?.return) {
    // Lets the engine's generator run its `finally` (its signal has fired already).
    iterator.return().catch(() => {});
  }
}
