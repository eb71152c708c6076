import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { ConnectError } from "@connectrpc/connect";
import {
  type CallObserver,
  Code,
  type InferenceService,
  type LongTimeout,
  ModelwireError,
  noopObserver,
  type ServerObserver,
  setLongTimeout,
} from "@modelwire/core";
import type { Engine, EngineContext } from "@modelwire/engine";
import { fromConnectError, toConnectError } from "./errors.js";
import { LONG_DEADLINE } from "./long-deadline.js";

/** Counts calls in flight for `stats()`. */
export interface InFlightCounter {
  inFlight: number;
}

const protocolNames: Record<string, string> = { grpc: "grpc", grpc_web: "grpc-web", connect: "connect" };

/** One call's engine context, observer and cleanup. */
class Call {
  readonly engineCtx: EngineContext;
  private readonly controller = new AbortController();
  private readonly obs: CallObserver;
  private readonly onAbort: () => void;
  /** The deadline timer of a call whose timeout is past Node's timer limit (connect-node never saw it). */
  private readonly longTimer: LongTimeout | undefined;
  private ended = false;

  constructor(
    private readonly ctx: HandlerContext,
    method: string,
    observer: ServerObserver,
    private readonly counter: InFlightCounter,
  ) {
    counter.inFlight++;
    this.obs = observer.callStarted(protocolNames[ctx.protocolName] ?? ctx.protocolName, method);
    const remaining = ctx.timeoutMs();
    const long = ctx.values.get(LONG_DEADLINE);
    const deadline = long ?? (remaining === undefined ? undefined : Date.now() + remaining);
    if (long !== undefined) {
      this.longTimer = setLongTimeout(() => {
        if (!this.controller.signal.aborted) this.controller.abort(LONG_DEADLINE_EXCEEDED);
      }, long - Date.now()).unref();
    }
    const headers = ctx.requestHeader;
    this.engineCtx = {
      signal: this.controller.signal,
      deadline,
      requestMetadata: (k) => headers.get(k) ?? undefined,
    };
    this.onAbort = () => this.controller.abort(abortToModelwire(ctx.signal.reason));
    if (ctx.signal.aborted) this.onAbort();
    else ctx.signal.addEventListener("abort", this.onAbort, { once: true });
  }

  chunk() {
    this.obs.chunk();
  }

  /** Ends the call; returns the error to throw (a ConnectError) when it failed. */
  end(error?: unknown, finished = false): ConnectError | undefined {
    let ce: ConnectError | undefined;
    let me: ModelwireError | undefined;
    if (error !== undefined) {
      // A deadline or cancel surfaces as the engine's rethrown signal reason; keep its code.
      me = error instanceof ConnectError ? fromConnectError(error) : ModelwireError.from(error, Code.Internal);
      ce = error instanceof ConnectError ? error : toConnectError(me);
    }
    if (!this.ended) {
      this.ended = true;
      this.counter.inFlight--;
      this.ctx.signal.removeEventListener("abort", this.onAbort);
      this.longTimer?.clear();
      // Stops an engine that is still running (client went away, write failed).
      if (!finished && !this.controller.signal.aborted) this.controller.abort(CALL_ENDED);
      this.obs.end(me);
    }
    return ce;
  }
}

const CALL_ENDED = new ModelwireError("call ended", Code.Canceled);
const LONG_DEADLINE_EXCEEDED = new ModelwireError("the operation timed out", Code.DeadlineExceeded);

/** The reason a Connect handler signal fired, as the ModelwireError an engine expects. */
function abortToModelwire(reason: unknown): ModelwireError {
  if (reason instanceof ConnectError) return fromConnectError(reason);
  const e = ModelwireError.from(reason, Code.Canceled);
  return e.code === Code.Unknown ? new ModelwireError(e.rawMessage, Code.Canceled, {}, reason) : e;
}

/**
 * The InferenceService implementation over an {@link Engine}: every RPC forwards to the engine with a context whose
 * signal fires on the client's cancel, the deadline (grpc-timeout / connect-timeout-ms) or a server shutdown, and
 * whose `deadline` is the call's deadline. Errors are mapped onto the shared codes.
 */
export function createInferenceServiceImpl(
  engine: Engine,
  observer: ServerObserver = noopObserver,
  counter: InFlightCounter = { inFlight: 0 },
): ServiceImpl<typeof InferenceService> {
  async function unary<T>(ctx: HandlerContext, method: string, run: (ectx: EngineContext) => Promise<T>): Promise<T> {
    const call = new Call(ctx, method, observer, counter);
    let result: T;
    try {
      result = await run(call.engineCtx);
    } catch (e) {
      throw call.end(e);
    }
    call.end(undefined, true);
    return result;
  }

  async function* stream<T extends { done: boolean }>(
    ctx: HandlerContext,
    method: string,
    open: (ectx: EngineContext) => AsyncIterable<T>,
  ): AsyncGenerator<T> {
    const call = new Call(ctx, method, observer, counter);
    try {
      for await (const chunk of open(call.engineCtx)) {
        if (!chunk.done) call.chunk();
        yield chunk;
      }
      call.end(undefined, true);
    } catch (e) {
      throw call.end(e);
    } finally {
      // Runs on success and when connect-node returns the generator early (the client went away).
      call.end();
    }
  }

  return {
    generate: (req, ctx) => stream(ctx, "generate", (ectx) => engine.generate(req, ectx)),
    chat: (req, ctx) => stream(ctx, "chat", (ectx) => engine.chat(req, ectx)),
    embed: (req, ctx) => unary(ctx, "embed", (ectx) => engine.embed(req, ectx)),
    listModels: (_req, ctx) => unary(ctx, "list", (ectx) => engine.list(ectx)),
    listRunning: (_req, ctx) => unary(ctx, "running", (ectx) => engine.running(ectx)),
    showModel: (req, ctx) => unary(ctx, "show", (ectx) => engine.show(req, ectx)),
    version: (_req, ctx) => unary(ctx, "version", (ectx) => engine.version(ectx)),
  };
}
