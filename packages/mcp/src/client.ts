import {
  type CallOptions,
  type ChatRequestInit,
  ChatRequestSchema,
  type ChatResponse,
  ChatResponseSchema,
  type ClientStats,
  Code,
  DataType,
  type EmbedRequestInit,
  EmbedRequestSchema,
  type EmbedResponse,
  EmbedResponseSchema,
  type GenerateRequestInit,
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
import { Method } from "@modelwire/mcp-codec";
import {
  decodeChatContentChunk,
  decodeChatFinalChunk,
  decodeContentChunk,
  decodeFinalChunk,
} from "@modelwire/mcp-codec/internal";
import type { Call } from "./call.js";
import { CallQueue } from "./call-queue.js";
import { type StartCall, streamingCall, unaryCall } from "./call-runner.js";
import { ClientConnection, type RequestBody } from "./client-connection.js";
import { type McpClientOptions, resolveClientOptions } from "./client-options.js";
import type { ClientStream } from "./client-stream.js";
import { ConnectionPool } from "./pool.js";
import { asMessage, emptyBody, generateBody, modelBody } from "./request-body.js";

export type { McpClientOptions, ReconnectOptions } from "./client-options.js";

/**
 * The MCP client: calls start on the pool's connections (least streams first); beyond the server's per-connection
 * stream limit they wait in the FIFO call queue until a stream ends. This class is the wiring between the two
 * and the {@link InferenceClient} methods.
 */
class McpClient implements InferenceClient {
  readonly transport: string;
  private readonly pool: ConnectionPool;
  private readonly queue: CallQueue;
  private readonly startCall: StartCall = (call, method, dataType, body) => this.start(call, method, dataType, body);

  constructor(options: McpClientOptions) {
    const cfg = resolveClientOptions(options);
    this.transport = cfg.transport;
    this.queue = new CallQueue(cfg.maxQueuedStreams);
    this.pool = new ConnectionPool(cfg.settings, cfg.poolSize, cfg.reconnect, {
      slotFree: () => {
        if (this.queue.size > 0) this.pump();
      },
      changed: (cause) => {
        if (this.queue.size > 0) this.pump(cause);
      },
    });
  }

  // ---- starting calls ----

  private start(
    call: Call,
    method: Method,
    dataType: DataType,
    body: RequestBody,
  ): ClientStream | Promise<ClientStream> {
    if (this.queue.size !== 0) return this.enqueue(call, method, dataType, body);
    const got = this.pool.acquire(call.signal);
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
    if (this.queue.size === 0 && conn.hasSlot) return this.open(call, conn, method, dataType, body);
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
    const stream = conn.openStream(method, dataType, call.timeoutMs(), body);
    call.attach(stream);
    return stream;
  }

  private enqueue(call: Call, method: Method, dataType: DataType, body: RequestBody): Promise<ClientStream> {
    return this.queue.enqueue(
      call.signal,
      (conn) => this.open(call, conn, method, dataType, body),
      () => this.pump(),
    );
  }

  /**
   * Starts queued calls while some connection has a free slot. When none is ready or connecting, connects one
   * (a closed client, or a connection attempt that fails, fails every queued call with `Unavailable`).
   */
  private pump(cause?: ModelwireError): void {
    const queue = this.queue;
    if (this.pool.isClosed) {
      queue.failAll(new ModelwireError("MCP client closed", Code.Canceled));
      return;
    }
    let conn = this.pool.connectionWithSlot();
    while (conn && queue.startNext(conn)) conn = this.pool.connectionWithSlot();
    queue.compact();
    if (queue.size === 0) return;
    const { ready, connecting } = this.pool.ensureForQueue();
    if (ready) {
      connecting?.catch(() => {});
      return;
    }
    if (!connecting) {
      // Defensive: nothing is ready or on its way, so nothing could ever start these calls.
      queue.failAll(cause ?? new ModelwireError("no MCP connection can take the queued calls", Code.Unavailable));
      return;
    }
    const watched = this.pool.watched;
    if (watched.has(connecting)) return;
    watched.add(connecting);
    connecting.catch((e) => {
      // The connection died and reconnecting did not succeed: queued calls never reached a server, fail them.
      if (this.pool.anyReady()) return;
      const err = ModelwireError.from(e, Code.Unavailable);
      queue.failAll(
        new ModelwireError(
          `MCP connection unavailable and reconnecting failed: ${err.rawMessage}`,
          Code.Unavailable,
          err.metadata,
          cause ?? err,
        ),
      );
    });
  }

  // ---- the InferenceClient methods ----

  generate(request: GenerateRequestInit, options?: CallOptions): AsyncIterable<GenerateResponse> {
    return streamingCall(
      this.startCall,
      Method.Generate,
      DataType.GENERATE_REQUEST,
      () => generateBody(request, options),
      GenerateResponseSchema,
      options,
      decodeContentChunk,
      decodeFinalChunk,
    );
  }

  chat(request: ChatRequestInit, options?: CallOptions): AsyncIterable<ChatResponse> {
    return streamingCall(
      this.startCall,
      Method.Chat,
      DataType.CHAT_REQUEST,
      () => modelBody(ChatRequestSchema, asMessage(ChatRequestSchema, request), options),
      ChatResponseSchema,
      options,
      decodeChatContentChunk,
      decodeChatFinalChunk,
    );
  }

  embed(request: EmbedRequestInit, options?: CallOptions): Promise<EmbedResponse> {
    const body = modelBody(EmbedRequestSchema, asMessage(EmbedRequestSchema, request), options);
    return unaryCall(this.startCall, Method.Embed, DataType.EMBED_REQUEST, body, EmbedResponseSchema, options);
  }

  show(request: ShowModelRequestInit, options?: CallOptions): Promise<ShowModelResponse> {
    const body = modelBody(ShowModelRequestSchema, asMessage(ShowModelRequestSchema, request), options);
    return unaryCall(this.startCall, Method.Show, DataType.UNSPECIFIED, body, ShowModelResponseSchema, options);
  }

  list(options?: CallOptions): Promise<ListModelsResponse> {
    return unaryCall(
      this.startCall,
      Method.List,
      DataType.UNSPECIFIED,
      emptyBody(options),
      ListModelsResponseSchema,
      options,
    );
  }

  running(options?: CallOptions): Promise<ListRunningResponse> {
    return unaryCall(
      this.startCall,
      Method.Running,
      DataType.UNSPECIFIED,
      emptyBody(options),
      ListRunningResponseSchema,
      options,
    );
  }

  version(options?: CallOptions): Promise<VersionResponse> {
    return unaryCall(
      this.startCall,
      Method.Version,
      DataType.UNSPECIFIED,
      emptyBody(options),
      VersionResponseSchema,
      options,
    );
  }

  stats(): ClientStats {
    return this.pool.stats(this.transport, this.queue.size);
  }

  async close(): Promise<void> {
    this.queue.failAll(new ModelwireError("MCP client closed", Code.Canceled));
    this.pool.close();
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
