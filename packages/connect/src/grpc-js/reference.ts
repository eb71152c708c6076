import { create, type DescMessage, fromBinary, type MessageShape, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import {
  abortReason,
  type CallOptions,
  type ClientStats,
  Code,
  effectiveDeadline,
  type InferenceClient,
  InferenceService,
  isCode,
  type ListenAddress,
  ModelwireError,
  type ProtocolServer,
  type ServerStats,
  setLongTimeout,
} from "@modelwire/core";
import type { Engine, EngineContext } from "@modelwire/engine";
import { loadInferenceServiceDefinition } from "./definition.js";

/**
 * The InferenceService definition from proto-loader with its (de)serialisers replaced by protobuf-es
 * `toBinary`/`fromBinary`, so the grpc-js reference pair and the Connect pair pay the same codec cost and the
 * benchmark compares transports. The wire format is the same Protobuf.
 */
function protobufEsDefinition(): grpc.ServiceDefinition {
  const loaded = loadInferenceServiceDefinition();
  const out: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const m of InferenceService.methods) {
    const d = loaded[m.name];
    if (!d) throw new ModelwireError(`method ${m.name} missing from the .proto`, Code.Internal);
    out[m.name] = {
      ...d,
      requestSerialize: (v: unknown) => Buffer.from(toBinary(m.input, v as MessageShape<DescMessage>)),
      requestDeserialize: (b: Buffer) => fromBinary(m.input, b),
      responseSerialize: (v: unknown) => Buffer.from(toBinary(m.output, v as MessageShape<DescMessage>)),
      responseDeserialize: (b: Buffer) => fromBinary(m.output, b),
    };
  }
  return out as grpc.ServiceDefinition;
}

/** Options of {@link createGrpcJsServer}. */
export interface GrpcJsServerOptions {
  /** What the RPCs call. */
  engine: Engine;
  /** Default `127.0.0.1`. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** grpc-js channel options (e.g. `grpc.max_receive_message_length`). */
  channelOptions?: grpc.ServerOptions;
}

type AnyServerCall = grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>;

/** An engine context for a grpc-js call: aborted on the client's cancel or the call's deadline. */
function engineContext(call: AnyServerCall): { ctx: EngineContext; done: () => void } {
  const controller = new AbortController();
  const d = call.getDeadline();
  const deadlineMs = d instanceof Date ? d.getTime() : Number.isFinite(d) ? Number(d) : undefined;
  const onCancel = () => {
    const expired = deadlineMs !== undefined && Date.now() >= deadlineMs - 1;
    controller.abort(
      expired
        ? new ModelwireError("deadline exceeded", Code.DeadlineExceeded)
        : new ModelwireError("canceled by the client", Code.Canceled),
    );
  };
  call.once("cancelled", onCancel);
  return {
    ctx: deadlineMs === undefined ? { signal: controller.signal } : { signal: controller.signal, deadline: deadlineMs },
    done: () => call.off("cancelled", onCancel),
  };
}

function serviceError(e: unknown): Partial<grpc.StatusObject> {
  const err = ModelwireError.from(e, Code.Internal);
  return { code: err.code as number as grpc.status, details: err.rawMessage };
}

/**
 * A stock `@grpc/grpc-js` server for the InferenceService (the .proto loaded by `@grpc/proto-loader`), over the
 * same engine: the benchmark's reference server and an interop peer. `stats()` counts calls only; grpc-js does not
 * expose its sockets, so `connections`, `bytesIn` and `bytesOut` stay 0.
 */
export function createGrpcJsServer(options: GrpcJsServerOptions): ProtocolServer {
  const { engine } = options;
  const server = new grpc.Server(options.channelOptions);
  let inFlight = 0;

  function unary(run: (ctx: EngineContext, request: never) => Promise<unknown>) {
    return (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      inFlight++;
      const { ctx, done } = engineContext(call);
      run(ctx, call.request as never).then(
        (res) => {
          inFlight--;
          done();
          callback(null, res);
        },
        (e) => {
          inFlight--;
          done();
          callback(serviceError(e));
        },
      );
    };
  }

  function streaming(open: (ctx: EngineContext, request: never) => AsyncIterable<unknown>) {
    return async (call: grpc.ServerWritableStream<unknown, unknown>) => {
      inFlight++;
      const { ctx, done } = engineContext(call);
      try {
        for await (const chunk of open(ctx, call.request as never)) {
          if (!call.write(chunk)) await drainOrAbort(call, ctx.signal);
          if (ctx.signal.aborted) throw abortReason(ctx.signal);
        }
        call.end();
      } catch (e) {
        if (!call.cancelled) call.emit("error", serviceError(e));
      } finally {
        inFlight--;
        done();
      }
    };
  }

  server.addService(protobufEsDefinition(), {
    Generate: streaming((ctx, req) => engine.generate(req, ctx)),
    Chat: streaming((ctx, req) => engine.chat(req, ctx)),
    Embed: unary((ctx, req) => engine.embed(req, ctx)),
    ListModels: unary((ctx) => engine.list(ctx)),
    ListRunning: unary((ctx) => engine.running(ctx)),
    ShowModel: unary((ctx, req) => engine.show(req, ctx)),
    Version: unary((ctx) => engine.version(ctx)),
  });

  let addresses: ListenAddress[] | undefined;
  let closing: Promise<void> | undefined;
  return {
    async listen() {
      if (addresses) return addresses;
      const host = options.host ?? "127.0.0.1";
      const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync(`${host}:${options.port ?? 0}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
          err ? reject(new ModelwireError(`listen failed: ${err.message}`, Code.Unavailable, {}, err)) : resolve(p),
        ),
      );
      addresses = [{ protocol: "grpc-js", url: `http://${host}:${port}` }];
      return addresses;
    },
    close({ graceMs = 5_000 } = {}) {
      closing ??= new Promise<void>((resolve) => {
        const timer = setLongTimeout(() => server.forceShutdown(), graceMs).unref();
        server.tryShutdown(() => {
          timer.clear();
          resolve();
        });
      });
      return closing;
    },
    stats: (): ServerStats => ({ connections: 0, inFlight, bytesIn: 0, bytesOut: 0 }),
  };
}

/** Resolves on the call's 'drain' or the signal's abort, whichever comes first, and removes both listeners. */
function drainOrAbort(call: grpc.ServerWritableStream<unknown, unknown>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      call.off("drain", done);
      signal.removeEventListener("abort", done);
      resolve();
    };
    call.once("drain", done);
    signal.addEventListener("abort", done, { once: true });
  });
}

/** Options of {@link createGrpcJsClient}. */
export interface GrpcJsClientOptions {
  /** `host:port`, or a URL like `http://127.0.0.1:50051`. */
  address: string;
  /** grpc-js channel options. */
  channelOptions?: grpc.ChannelOptions;
}

function toModelwire(e: unknown, options: CallOptions | undefined): ModelwireError {
  if (options?.signal?.aborted) return abortReason(options.signal);
  const se = e as Partial<grpc.ServiceError>;
  if (se && typeof se.code === "number" && isCode(se.code) && se.code !== 0) {
    return new ModelwireError(se.details ?? String(se.message), se.code as number as Code, {}, e);
  }
  return ModelwireError.from(e);
}

/**
 * A stock `@grpc/grpc-js` client of the InferenceService (one channel; the .proto loaded by `@grpc/proto-loader`,
 * messages encoded by protobuf-es): the benchmark's reference client and an interop peer. Transport name
 * `"grpc-js"`. No retries.
 */
export function createGrpcJsClient(options: GrpcJsClientOptions): InferenceClient {
  const address = options.address.replace(/^[a-z]+:\/\//, "").replace(/\/$/, "");
  const client = new grpc.Client(address, grpc.credentials.createInsecure(), options.channelOptions);
  const def = protobufEsDefinition();
  let active = 0;
  // Connections opened: every move of the channel into READY (one address: one HTTP/2 connection at a time).
  const channel = client.getChannel();
  const { READY, SHUTDOWN } = grpc.connectivityState;
  let opened = 0;
  const watch = (last: grpc.connectivityState) => {
    if (last === SHUTDOWN) return;
    // No deadline: no timer, so the watch holds no event-loop reference; close() ends it (SHUTDOWN).
    channel.watchConnectivityState(last, Number.POSITIVE_INFINITY, () => {
      const now = channel.getConnectivityState(false);
      if (now === READY && last !== READY) opened++;
      watch(now);
    });
  };
  watch(channel.getConnectivityState(false));

  function prepare(options: CallOptions | undefined) {
    if (options?.signal?.aborted) throw abortReason(options.signal);
    const deadline = effectiveDeadline(options);
    const metadata = new grpc.Metadata();
    for (const [k, v] of Object.entries(options?.metadata ?? {})) metadata.set(k, v);
    const callOptions: grpc.CallOptions = deadline === undefined ? {} : { deadline };
    return { metadata, callOptions };
  }

  function unary<T>(method: string, request: unknown, options?: CallOptions): Promise<T> {
    const d = def[method];
    const desc = InferenceService.method[lowerFirst(method) as keyof typeof InferenceService.method];
    return new Promise<T>((resolve, reject) => {
      const { metadata, callOptions } = prepare(options);
      active++;
      const onAbort = () => call.cancel();
      const call = client.makeUnaryRequest(
        d.path,
        d.requestSerialize,
        d.responseDeserialize,
        create(desc.input, request as never),
        metadata,
        callOptions,
        (err, value) => {
          active--;
          options?.signal?.removeEventListener("abort", onAbort);
          if (err) reject(toModelwire(err, options));
          else resolve(value as T);
        },
      );
      options?.signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  async function* stream<T>(method: string, request: unknown, options?: CallOptions): AsyncGenerator<T> {
    const d = def[method];
    const desc = InferenceService.method[lowerFirst(method) as keyof typeof InferenceService.method];
    const { metadata, callOptions } = prepare(options);
    const call = client.makeServerStreamRequest(
      d.path,
      d.requestSerialize,
      d.responseDeserialize,
      create(desc.input, request as never),
      metadata,
      callOptions,
    );
    const onAbort = () => call.cancel();
    options?.signal?.addEventListener("abort", onAbort, { once: true });
    active++;
    let finished = false;
    try {
      for await (const m of call) yield m as T;
      finished = true;
    } catch (e) {
      finished = true;
      throw toModelwire(e, options);
    } finally {
      active--;
      options?.signal?.removeEventListener("abort", onAbort);
      if (!finished) call.cancel();
    }
  }

  return {
    transport: "grpc-js",
    generate: (req, o) => stream("Generate", req, o),
    chat: (req, o) => stream("Chat", req, o),
    embed: (req, o) => unary("Embed", req, o),
    list: (o) => unary("ListModels", {}, o),
    running: (o) => unary("ListRunning", {}, o),
    show: (req, o) => unary("ShowModel", req, o),
    version: (o) => unary("Version", {}, o),
    stats(): ClientStats {
      const state = channel.getConnectivityState(false);
      const open = state === READY ? 1 : 0;
      return {
        transport: "grpc-js",
        open,
        active,
        idle: open && active === 0 ? 1 : 0,
        queued: 0,
        opened,
        reconnects: Math.max(0, opened - 1),
        extra: { state: grpc.connectivityState[state] },
      };
    },
    async close() {
      client.close();
    },
  };
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}
