import type { ConnectionOptions } from "node:tls";
import { create, type DescMessage, fromBinary, isMessage, type MessageShape, toBinary } from "@bufbuild/protobuf";
import {
  abortReason,
  type CallOptions,
  type CallSignal,
  type ChatRequestInit,
  ChatRequestSchema,
  type ChatResponse,
  ChatResponseSchema,
  type ClientStats,
  Code,
  createCallSignal,
  DataType,
  type EmbedRequestInit,
  EmbedRequestSchema,
  type EmbedResponse,
  EmbedResponseSchema,
  type GenerateRequestInit,
  GenerateRequestSchema,
  type GenerateResponse,
  GenerateResponseSchema,
  type InferenceClient,
  type ListModelsResponse,
  ListModelsResponseSchema,
  type ListRunningResponse,
  ListRunningResponseSchema,
  ModelwireError,
  type ShowModelRequestInit,
  ShowModelRequestSchema,
  type ShowModelResponse,
  ShowModelResponseSchema,
  type VersionResponse,
  VersionResponseSchema,
} from "@modelwire/core";
import {
  DEFAULT_MAX_FRAME_SIZE,
  FrameType,
  MAX_MAX_FRAME_SIZE,
  Method,
  MIN_MAX_FRAME_SIZE,
} from "@modelwire/mcp-codec";
import {
  decodeChatContentChunk,
  decodeChatFinalChunk,
  decodeContentChunk,
  decodeFinalChunk,
} from "@modelwire/mcp-codec/internal";
import { ClientConnection, type ClientStream, type ConnectionSettings, type RequestBody } from "./client-connection.js";
import { parseEndpoint, transportName } from "./endpoint.js";

/** Reconnection policy: exponential backoff with jitter between attempts. */
export interface ReconnectOptions {
  /** Delay before the second attempt in a row (the first is immediate). Default 100 ms. */
  initialDelayMs?: number;
  /** Largest delay. Default 5000 ms. */
  maxDelayMs?: number;
  /** Consecutive failed attempts after which background reconnection stops (calls still retry). Default unlimited. */
  maxAttempts?: number;
}

/** Options of {@link createMcpClient}. */
export interface McpClientOptions {
  /** `tcp://host:port`, `tls://host:port` or `unix:/path/to.sock`. */
  url: string;
  /** Extra `node:tls` options for `tls://` (ca, cert, key, servername, rejectUnauthorized ...). */
  tls?: ConnectionOptions;
  /** Sent in HELLO as `auth-token`. */
  authToken?: string;
  /** Heartbeat interval proposed to the server, ms; a silent server is declared dead after two. Default 5000; 0 lets the server choose. */
  heartbeatMs?: number;
  /** Largest payload accepted. Default 4 MiB. */
  maxFrameSize?: number;
  /** Time allowed for connecting plus the handshake. Default 10 000 ms. */
  connectTimeoutMs?: number;
  /** Reconnection policy, or `false` to never reconnect in the background. */
  reconnect?: ReconnectOptions | false;
  /** Connections to spread streams over. Default 1. */
  poolSize?: number;
  /** Chunks waiting for the application, per connection, above which the client stops reading the socket. Default 1024. */
  maxQueuedChunks?: number;
  /** Name sent in HELLO metadata. Default `"modelwire-mcp-client"`. */
  clientName?: string;
  /**
   * Calls waiting locally for a stream slot, client-wide. The server announces its per-connection stream limit in
   * WELCOME (`maxStreams`); the client never opens more streams than that on a connection, and queues the excess
   * (FIFO) until a stream ends. A call beyond this bound fails at once with `ResourceExhausted`. Default 10 000.
   */
  maxQueuedStreams?: number;
}

/** A call waiting for a stream slot; `open` starts it on a connection with a free slot. */
interface QueuedCall {
  open(conn: ClientConnection): void;
  fail(err: ModelwireError): void;
  /** Set once the call left the queue (started, aborted or failed). */
  gone: boolean;
}

interface Slot {
  conn: ClientConnection | undefined;
  connecting: Promise<ClientConnection> | undefined;
  failures: number;
}

const EMPTY = new Uint8Array(0);

/** A signal that never fires, for calls without a signal or deadline (saves an AbortController per call). */
const NEVER = new AbortController().signal;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

/** Races `p` against a signal; the signal's reason (a ModelwireError) wins if it fires first. */
function raceSignal<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal === NEVER) return p;
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

/** One in-flight stream seen from the caller: OPEN sent, frames read, abort wired to CANCEL. */
class Call {
  stream: ClientStream | undefined;
  finished = false;
  /** The call's signal and deadline; `undefined` when the caller gave neither (the common fast path). */
  readonly cs: CallSignal | undefined;
  private readonly onAbort = () => {
    const s = this.stream;
    if (!s || this.finished || !this.cs) return;
    s.failWith(abortReason(this.cs.signal));
    s.cancel();
  };

  constructor(options: CallOptions | undefined) {
    this.cs =
      options && (options.signal !== undefined || options.timeoutMs !== undefined || options.deadline !== undefined)
        ? createCallSignal(options)
        : undefined;
  }

  get signal(): AbortSignal {
    return this.cs ? this.cs.signal : NEVER;
  }

  get deadline(): number | undefined {
    return this.cs?.deadline;
  }

  attach(stream: ClientStream): void {
    this.stream = stream;
    if (!this.cs) return;
    if (this.cs.signal.aborted) this.onAbort();
    else this.cs.signal.addEventListener("abort", this.onAbort, { once: true });
  }

  finish(cancel: boolean): void {
    if (this.finished) return;
    this.finished = true;
    if (this.cs) {
      this.cs.signal.removeEventListener("abort", this.onAbort);
      this.cs.dispose();
    }
    if (cancel) this.stream?.cancel();
  }
}

class McpClient implements InferenceClient {
  readonly transport: string;
  private readonly settings: ConnectionSettings;
  private readonly slots: Slot[];
  private readonly all = new Set<ClientConnection>();
  private readonly reconnect: Required<ReconnectOptions> | false;
  private closed = false;
  private waiting = 0;
  private readonly maxQueuedStreams: number;
  /** Calls waiting for a stream slot, FIFO; entries with `gone` set are skipped (abort removes lazily). */
  private queue: QueuedCall[] = [];
  private queueHead = 0;
  /** Live entries of `queue`. */
  private queuedCalls = 0;
  private readonly onSlotFree = () => {
    if (this.queuedCalls > 0) this.pump();
  };
  private reconnects = 0;
  private connectsDone = 0;

  constructor(options: McpClientOptions) {
    const endpoint = parseEndpoint(options.url);
    this.transport = transportName(endpoint.kind);
    const maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    if (!Number.isInteger(maxFrameSize) || maxFrameSize < MIN_MAX_FRAME_SIZE || maxFrameSize > MAX_MAX_FRAME_SIZE) {
      throw new ModelwireError(
        `maxFrameSize must be in [${MIN_MAX_FRAME_SIZE}, ${MAX_MAX_FRAME_SIZE}]`,
        Code.InvalidArgument,
        {
          field: "maxFrameSize",
        },
      );
    }
    const heartbeatMs = options.heartbeatMs ?? 5000;
    if (!Number.isFinite(heartbeatMs) || heartbeatMs < 0) {
      throw new ModelwireError("heartbeatMs must be >= 0", Code.InvalidArgument, { field: "heartbeatMs" });
    }
    this.settings = {
      endpoint,
      tls: options.tls,
      authToken: options.authToken,
      heartbeatMs,
      maxFrameSize,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      maxQueuedChunks: options.maxQueuedChunks ?? 1024,
      clientName: options.clientName ?? "modelwire-mcp-client",
    };
    const maxQueuedStreams = options.maxQueuedStreams ?? 10_000;
    if (!Number.isInteger(maxQueuedStreams) || maxQueuedStreams < 0) {
      throw new ModelwireError("maxQueuedStreams must be an integer >= 0", Code.InvalidArgument, {
        field: "maxQueuedStreams",
      });
    }
    this.maxQueuedStreams = maxQueuedStreams;
    const poolSize = options.poolSize ?? 1;
    if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > 64) {
      throw new ModelwireError("poolSize must be an integer in [1, 64]", Code.InvalidArgument, { field: "poolSize" });
    }
    this.slots = Array.from({ length: poolSize }, () => ({ conn: undefined, connecting: undefined, failures: 0 }));
    this.reconnect =
      options.reconnect === false
        ? false
        : {
            initialDelayMs: options.reconnect?.initialDelayMs ?? 100,
            maxDelayMs: options.reconnect?.maxDelayMs ?? 5000,
            maxAttempts: options.reconnect?.maxAttempts ?? Number.POSITIVE_INFINITY,
          };
  }

  // ---- connections ----

  private backoff(failures: number): number {
    if (failures === 0) return 0;
    const r = this.reconnect || { initialDelayMs: 100, maxDelayMs: 5000 };
    const base = Math.min(r.maxDelayMs, r.initialDelayMs * 2 ** (failures - 1));
    return base / 2 + Math.random() * (base / 2); // "equal jitter"
  }

  private ensureConnecting(slot: Slot): Promise<ClientConnection> {
    if (slot.connecting) return slot.connecting;
    const delay = this.backoff(slot.failures);
    const attempt = (async () => {
      if (delay > 0) await sleep(delay);
      if (this.closed) throw new ModelwireError("MCP client closed", Code.Canceled);
      const conn = new ClientConnection(this.settings);
      conn.onSlotFree = this.onSlotFree;
      this.all.add(conn);
      await conn.open(
        (c, err) => this.onGone(slot, c, err),
        (c) => {
          if (slot.conn === c) slot.conn = undefined;
          if (this.queuedCalls > 0) this.pump();
        },
      );
      if (this.closed) {
        conn.close();
        throw new ModelwireError("MCP client closed", Code.Canceled);
      }
      if (this.connectsDone++ > 0) this.reconnects++;
      slot.conn = conn;
      slot.failures = 0;
      if (this.queuedCalls > 0) queueMicrotask(() => this.pump());
      return conn;
    })();
    slot.connecting = attempt;
    attempt.then(
      () => {
        slot.connecting = undefined;
      },
      () => {
        slot.connecting = undefined;
        slot.failures++;
      },
    );
    return attempt;
  }

  private onGone(slot: Slot, c: ClientConnection, err: ModelwireError): void {
    this.all.delete(c);
    if (slot.conn === c) {
      slot.conn = undefined;
      this.backgroundReconnect(slot);
    }
    if (this.queuedCalls > 0) this.pump(err);
  }

  private backgroundReconnect(slot: Slot): void {
    if (this.closed || !this.reconnect || slot.failures >= this.reconnect.maxAttempts) return;
    this.ensureConnecting(slot).catch(() => this.backgroundReconnect(slot));
  }

  /**
   * A ready connection (least streams first), or a promise of one. A busy pool grows: while some slot has no
   * connection and every ready one is carrying streams, that slot starts connecting in the background.
   */
  private acquire(signal: AbortSignal): ClientConnection | Promise<ClientConnection> {
    if (this.closed) throw new ModelwireError("MCP client closed", Code.Canceled);
    let best: ClientConnection | undefined;
    let idle: Slot | undefined;
    for (const slot of this.slots) {
      const c = slot.conn;
      if (c?.ready) {
        if (!best || c.active < best.active) best = c;
      } else if (!idle && !slot.connecting) idle = slot;
    }
    if (best && best.active === 0) return best;
    if (idle) {
      const p = this.ensureConnecting(idle);
      if (best) {
        p.catch(() => {});
        return best;
      }
      return this.wait(p, signal);
    }
    if (best) return best;
    // Every slot is connecting: wait on them in turn.
    const connecting = this.slots.filter((s) => s.connecting);
    const slot = connecting[this.rr++ % connecting.length] ?? this.slots[0];
    return this.wait(this.ensureConnecting(slot), signal);
  }

  private rr = 0;

  // ---- the stream-slot queue ----

  /** A ready connection with a free stream slot (least streams first), if any. */
  private connectionWithSlot(): ClientConnection | undefined {
    let best: ClientConnection | undefined;
    for (const slot of this.slots) {
      const c = slot.conn;
      if (c?.hasSlot && (!best || c.active < best.active)) best = c;
    }
    return best;
  }

  /** Queues a call until a connection has a free stream slot; fails fast when the queue is full. */
  private enqueue(call: Call, method: Method, dataType: DataType, body: RequestBody): Promise<ClientStream> {
    if (this.queuedCalls >= this.maxQueuedStreams) {
      throw new ModelwireError(
        `MCP client stream queue is full (maxQueuedStreams ${this.maxQueuedStreams}; every connection is at the server's stream limit)`,
        Code.ResourceExhausted,
        { limit: String(this.maxQueuedStreams), option: "maxQueuedStreams" },
      );
    }
    const signal = call.signal;
    return new Promise<ClientStream>((resolve, reject) => {
      const onAbort = () => {
        if (entry.gone) return;
        entry.gone = true;
        this.queuedCalls--;
        reject(abortReason(signal));
      };
      const entry: QueuedCall = {
        gone: false,
        open: (conn) => {
          entry.gone = true;
          this.queuedCalls--;
          if (signal !== NEVER) signal.removeEventListener("abort", onAbort);
          try {
            resolve(this.open(call, conn, method, dataType, body));
          } catch (e) {
            reject(e);
          }
        },
        fail: (err) => {
          entry.gone = true;
          this.queuedCalls--;
          if (signal !== NEVER) signal.removeEventListener("abort", onAbort);
          reject(err);
        },
      };
      if (signal !== NEVER) signal.addEventListener("abort", onAbort, { once: true });
      this.queue.push(entry);
      this.queuedCalls++;
      this.pump();
    });
  }

  private nextQueued(): QueuedCall | undefined {
    while (this.queueHead < this.queue.length) {
      const e = this.queue[this.queueHead++];
      if (!e.gone) return e;
    }
    return undefined;
  }

  private peekQueued(): QueuedCall | undefined {
    while (this.queueHead < this.queue.length && this.queue[this.queueHead].gone) this.queueHead++;
    return this.queue[this.queueHead];
  }

  private compactQueue(): void {
    if (this.queueHead >= this.queue.length) {
      this.queue = [];
      this.queueHead = 0;
    } else if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
  }

  /**
   * Starts queued calls while some connection has a free slot. When none is ready or connecting, connects one
   * (a closed client, or a connection attempt that fails, fails every queued call with `Unavailable`).
   */
  private pump(cause?: ModelwireError): void {
    if (this.closed) {
      this.failQueued(new ModelwireError("MCP client closed", Code.Canceled));
      return;
    }
    for (let conn = this.connectionWithSlot(); conn && this.peekQueued(); conn = this.connectionWithSlot()) {
      this.nextQueued()?.open(conn);
    }
    this.compactQueue();
    if (this.queuedCalls === 0) return;
    // Still waiting: make sure a connection is on its way (a dead or draining one is replaced; in a pool, idle
    // slots connect), else the queue would wait forever.
    let ready = false;
    let connecting: Promise<ClientConnection> | undefined;
    let idle: Slot | undefined;
    for (const slot of this.slots) {
      if (slot.conn?.ready) ready = true;
      else if (slot.connecting) connecting ??= slot.connecting;
      else if (!idle) idle = slot; // no connection, or one that can take no more streams (ids used up, closed)
    }
    if (idle && (!(ready || connecting) || this.slots.length > 1)) connecting ??= this.ensureConnecting(idle);
    if (ready) {
      connecting?.catch(() => {});
      return;
    }
    if (!connecting) {
      // Defensive: nothing is ready or on its way, so nothing could ever start these calls.
      this.failQueued(cause ?? new ModelwireError("no MCP connection can take the queued calls", Code.Unavailable));
      return;
    }
    if (this.watched.has(connecting)) return;
    this.watched.add(connecting);
    connecting.catch((e) => {
      // The connection died and reconnecting did not succeed: queued calls never reached a server, fail them.
      if (this.slots.some((s) => s.conn?.ready)) return;
      const err = ModelwireError.from(e, Code.Unavailable);
      this.failQueued(
        new ModelwireError(
          `MCP connection unavailable and reconnecting failed: ${err.rawMessage}`,
          Code.Unavailable,
          err.metadata,
          cause ?? err,
        ),
      );
    });
  }

  /** Connection attempts the queue already watches for failure. */
  private readonly watched = new WeakSet<Promise<ClientConnection>>();

  private failQueued(err: ModelwireError): void {
    for (let e = this.nextQueued(); e; e = this.nextQueued()) e.fail(err);
    this.compactQueue();
  }

  private wait(p: Promise<ClientConnection>, signal: AbortSignal): Promise<ClientConnection> {
    this.waiting++;
    return raceSignal(p, signal).finally(() => {
      this.waiting--;
    });
  }

  // ---- calls ----

  private encodeBody(
    modelVersion: string,
    _dataType: DataType,
    input: Uint8Array,
    options: CallOptions | undefined,
  ): RequestBody {
    return { modelVersion, input, metadata: options?.metadata };
  }

  /**
   * The body of a call whose message names a model: the model travels in the request envelope, the message is
   * encoded without it (cleared on `req` for the encoding and put back, so `req` is not copied).
   */
  private modelBody<S extends DescMessage>(
    schema: S,
    req: MessageShape<S> & { model: string },
    dataType: DataType,
    options: CallOptions | undefined,
  ): RequestBody {
    const model = req.model;
    req.model = "";
    const inner = toBinary(schema, req);
    req.model = model;
    return this.encodeBody(model, dataType, inner, options);
  }

  /**
   * Opens the call's stream: at once (no promise) on a ready connection with a free slot, the common case;
   * otherwise once a connection is up or a slot frees. Throws or rejects with the reason it cannot.
   */
  private start(
    call: Call,
    method: Method,
    dataType: DataType,
    body: RequestBody,
  ): ClientStream | Promise<ClientStream> {
    if (this.queuedCalls !== 0) return this.enqueue(call, method, dataType, body);
    const got = this.acquire(call.signal);
    if (got instanceof ClientConnection) return this.openOrQueue(call, got, method, dataType, body);
    return got.then((conn) => this.openOrQueue(call, conn, method, dataType, body));
  }

  private openOrQueue(
    call: Call,
    conn: ClientConnection,
    method: Method,
    dataType: DataType,
    body: RequestBody,
  ): ClientStream | Promise<ClientStream> {
    // The server's per-connection limit (WELCOME maxStreams) is respected: a full connection queues the call.
    if (this.queuedCalls === 0 && conn.hasSlot) return this.open(call, conn, method, dataType, body);
    if (!conn.ready) return this.open(call, conn, method, dataType, body); // fails with Unavailable
    return this.enqueue(call, method, dataType, body);
  }

  private open(
    call: Call,
    conn: ClientConnection,
    method: Method,
    dataType: DataType,
    body: RequestBody,
  ): ClientStream {
    let timeoutMs = 0;
    const deadline = call.deadline;
    if (deadline !== undefined) timeoutMs = Math.min(0xffffffff, Math.max(1, Math.ceil(deadline - Date.now())));
    const stream = conn.openStream(method, dataType, timeoutMs, body);
    call.attach(stream);
    return stream;
  }

  private streaming<S extends DescMessage>(
    method: Method,
    dataType: DataType,
    body: () => RequestBody,
    schema: S,
    options: CallOptions | undefined,
    decodeData?: (payload: Uint8Array) => MessageShape<S> | undefined,
    decodeEnd?: (payload: Uint8Array) => MessageShape<S> | undefined,
  ): AsyncIterable<MessageShape<S>> {
    return {
      [Symbol.asyncIterator]: () => {
        let call: Call | undefined;
        let ended = false;
        const fail = (e: unknown): never => {
          call?.finish(true);
          ended = true;
          throw ModelwireError.from(e, Code.Unknown);
        };
        return {
          next: async (): Promise<IteratorResult<MessageShape<S>>> => {
            if (ended) return { done: true, value: undefined };
            try {
              if (!call) {
                call = new Call(options);
                if (call.signal.aborted) throw abortReason(call.signal);
                const started = this.start(call, method, dataType, body());
                if (started instanceof Promise) await started;
              }
              const f = await (call.stream as ClientStream).next();
              if (f === undefined) {
                ended = true;
                call.finish(false);
                return { done: true, value: undefined };
              }
              const msg =
                (f.type === FrameType.Data ? decodeData?.(f.payload) : decodeEnd?.(f.payload)) ??
                fromBinary(schema, f.payload);
              if (f.type === FrameType.End) call.finish(false);
              return { done: false, value: msg };
            } catch (e) {
              return fail(e);
            }
          },
          return: async (): Promise<IteratorResult<MessageShape<S>>> => {
            ended = true;
            call?.finish(true);
            return { done: true, value: undefined };
          },
        };
      },
    };
  }

  private async unary<S extends DescMessage>(
    method: Method,
    dataType: DataType,
    body: RequestBody,
    schema: S,
    options: CallOptions | undefined,
  ): Promise<MessageShape<S>> {
    const call = new Call(options);
    try {
      if (call.signal.aborted) throw abortReason(call.signal);
      const stream = await this.start(call, method, dataType, body);
      const f = await stream.next();
      if (!f || f.type !== FrameType.End) {
        throw new ModelwireError(`unexpected ${f ? "DATA" : "end"} on a unary ${Method[method]} stream`, Code.Internal);
      }
      call.finish(false);
      return fromBinary(schema, f.payload);
    } catch (e) {
      call.finish(true);
      throw ModelwireError.from(e, Code.Unknown);
    }
  }

  /** A unary call that carries no model and no message (list, running, version). */
  private unaryNoBody<S extends DescMessage>(
    method: Method,
    schema: S,
    options: CallOptions | undefined,
  ): Promise<MessageShape<S>> {
    return this.unary(
      method,
      DataType.UNSPECIFIED,
      this.encodeBody("", DataType.UNSPECIFIED, EMPTY, options),
      schema,
      options,
    );
  }

  generate(request: GenerateRequestInit, options?: CallOptions): AsyncIterable<GenerateResponse> {
    return this.streaming(
      Method.Generate,
      DataType.GENERATE_REQUEST,
      // Serialized by hand straight into the OPEN frame when the stream opens (see encodeGenerateOpenFrame).
      () => ({
        modelVersion: "",
        input: EMPTY,
        metadata: options?.metadata,
        generate: isMessage(request, GenerateRequestSchema) ? request : create(GenerateRequestSchema, request),
      }),
      GenerateResponseSchema,
      options,
      decodeContentChunk,
      decodeFinalChunk,
    );
  }

  chat(request: ChatRequestInit, options?: CallOptions): AsyncIterable<ChatResponse> {
    return this.streaming(
      Method.Chat,
      DataType.CHAT_REQUEST,
      () =>
        this.modelBody(
          ChatRequestSchema,
          isMessage(request, ChatRequestSchema) ? request : create(ChatRequestSchema, request),
          DataType.CHAT_REQUEST,
          options,
        ),
      ChatResponseSchema,
      options,
      decodeChatContentChunk,
      decodeChatFinalChunk,
    );
  }

  embed(request: EmbedRequestInit, options?: CallOptions): Promise<EmbedResponse> {
    return this.unary(
      Method.Embed,
      DataType.EMBED_REQUEST,
      this.modelBody(EmbedRequestSchema, create(EmbedRequestSchema, request), DataType.EMBED_REQUEST, options),
      EmbedResponseSchema,
      options,
    );
  }

  list(options?: CallOptions): Promise<ListModelsResponse> {
    return this.unaryNoBody(Method.List, ListModelsResponseSchema, options);
  }

  running(options?: CallOptions): Promise<ListRunningResponse> {
    return this.unaryNoBody(Method.Running, ListRunningResponseSchema, options);
  }

  show(request: ShowModelRequestInit, options?: CallOptions): Promise<ShowModelResponse> {
    return this.unary(
      Method.Show,
      DataType.UNSPECIFIED,
      this.modelBody(ShowModelRequestSchema, create(ShowModelRequestSchema, request), DataType.UNSPECIFIED, options),
      ShowModelResponseSchema,
      options,
    );
  }

  version(options?: CallOptions): Promise<VersionResponse> {
    return this.unaryNoBody(Method.Version, VersionResponseSchema, options);
  }

  stats(): ClientStats {
    let open = 0;
    let active = 0;
    let idle = 0;
    let rtt: number | undefined;
    let bytesIn = 0;
    let bytesOut = 0;
    for (const c of this.all) {
      if (c.closed) continue;
      open++;
      active += c.active;
      if (c.active === 0) idle++;
      if (c.rttMs !== undefined) rtt = c.rttMs;
      bytesIn += c.bytesIn;
      bytesOut += c.bytesOut;
    }
    const first = this.slots[0];
    const state = this.closed
      ? "closed"
      : first.conn
        ? first.conn.stateName
        : first.connecting
          ? "connecting"
          : first.failures > 0
            ? "reconnecting"
            : "idle";
    const extra: Record<string, number | string> = { state, reconnects: this.reconnects, bytesIn, bytesOut };
    if (rtt !== undefined) extra.rttMs = Math.round(rtt * 1000) / 1000;
    return { transport: this.transport, open, active, idle, queued: this.waiting + this.queuedCalls, extra };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.failQueued(new ModelwireError("MCP client closed", Code.Canceled));
    for (const c of [...this.all]) c.close();
    this.all.clear();
    for (const s of this.slots) s.conn = undefined;
  }
}

/**
 * Creates an MCP (Model Communication Protocol) client implementing {@link InferenceClient}, with transport name
 * `"mcp-tcp"`, `"mcp-uds"` or `"mcp-tls"` after the URL. It connects lazily on the first call, keeps one
 * long-lived connection per pool slot, sends heartbeats, declares a silent server dead after two intervals (every
 * in-flight stream fails with `Unavailable`), and reconnects with exponential backoff and jitter.
 */
export function createMcpClient(options: McpClientOptions): InferenceClient {
  return new McpClient(options);
}
