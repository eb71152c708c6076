import { randomBytes, timingSafeEqual } from "node:crypto";
import { lstatSync, rmSync } from "node:fs";
import { createServer as createNetServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer, type TlsOptions } from "node:tls";
import { toBinary } from "@bufbuild/protobuf";
import {
  type ChatResponse,
  ChatResponseSchema,
  Code,
  EmbedResponseSchema,
  type GenerateResponse,
  GenerateResponseSchema,
  type ListenAddress,
  ListModelsResponseSchema,
  ListRunningResponseSchema,
  ModelwireError,
  noopObserver,
  type ProtocolServer,
  type ServerObserver,
  type ServerStats,
  ShowModelResponseSchema,
  VersionResponseSchema,
} from "@modelwire/core";
import { createEngineContext, type Engine, type EngineCallContext } from "@modelwire/engine";
import {
  createFrameDecoder,
  DEFAULT_MAX_FRAME_SIZE,
  decodeHello,
  decodeOpenPayload,
  encodeErrorPayload,
  encodeFrame,
  encodeGoaway,
  encodeWelcome,
  type Frame,
  type FrameDecoder,
  FrameFlag,
  FrameType,
  HEADER_SIZE,
  MAX_MAX_FRAME_SIZE,
  Method,
  MIN_MAX_FRAME_SIZE,
  PROTOCOL_VERSION,
  ProtocolErrorReason,
  protocolError,
} from "@modelwire/mcp-codec";
import {
  decodeRequest,
  encodeChatContentFrame,
  encodeChatFinalFrame,
  encodeContentChunkFrame,
  encodeFinalChunkFrame,
  METHOD_NAMES,
} from "@modelwire/mcp-codec/internal";
import { formatEndpoint } from "./endpoint.js";
import { createFrameWriter, type FrameWriter } from "./frame-writer.js";

/** How a stream's chunks go on the wire: whole frames written by hand, or protobuf-es where those decline. */
interface ChunkCodec<T> {
  /** The chunk's payload by protobuf-es. */
  encode(chunk: T): Uint8Array;
  /** A content chunk as a whole DATA frame, or `undefined` (use `encode`). */
  dataFrame(streamId: number, sequence: number, chunk: T): Uint8Array | undefined;
  /** The final chunk as a whole END frame, or `undefined` (use `encode`). */
  endFrame(streamId: number, sequence: number, chunk: T): Uint8Array | undefined;
}

const GENERATE_CHUNKS: ChunkCodec<GenerateResponse> = {
  encode: (m) => toBinary(GenerateResponseSchema, m),
  dataFrame: encodeContentChunkFrame,
  endFrame: encodeFinalChunkFrame,
};

const CHAT_CHUNKS: ChunkCodec<ChatResponse> = {
  encode: (m) => toBinary(ChatResponseSchema, m),
  dataFrame: encodeChatContentFrame,
  endFrame: encodeChatFinalFrame,
};

/** TLS listener options: where to listen plus the key and certificate (any other `node:tls` server option too). */
export interface McpTlsListenOptions extends TlsOptions {
  /** Interface to bind. Default `"127.0.0.1"`. */
  host?: string;
  /** Port; 0 picks a free one. */
  port: number;
}

/** Options of {@link createMcpServer}. At least one of `tcp`, `unix` and `tls` is required. */
export interface McpServerOptions {
  /** The engine every stream runs on (wrap it with `guardEngine` for an overload limit). */
  engine: Engine;
  /** Listen on TCP. */
  tcp?: { host?: string; port: number };
  /** Listen on a Unix domain socket at this path (a stale socket file is removed first). */
  unix?: { path: string };
  /** Listen on TLS over TCP. */
  tls?: McpTlsListenOptions;
  /** When set, HELLO must carry this token as `auth-token`, else the connection gets `Unauthenticated`. */
  authToken?: string;
  /** Receives one call per stream. Default: records nothing. */
  observer?: ServerObserver;
  /** Streams allowed at once on one connection (announced in WELCOME). Default 128. */
  maxStreamsPerConnection?: number;
  /** Streams allowed at once on the whole server. Default 1024. */
  maxStreams?: number;
  /** Heartbeat interval offered when the client proposes none, in ms. Default 5000. */
  heartbeatMs?: number;
  /** Largest payload accepted or sent, in bytes. Default 4 MiB. */
  maxFrameSize?: number;
  /** Time allowed between accepting a connection and its HELLO. Default 10 000 ms. */
  handshakeTimeoutMs?: number;
  /** Unsent bytes per connection above which streams stop pulling from the engine. Default 256 KiB. */
  writeHighWaterMark?: number;
  /** Name announced in WELCOME metadata. Default `"modelwire-mcp"`. */
  serverName?: string;
}

enum ConnState {
  AwaitHello,
  Ready,
  Draining,
  Closed,
}

interface StreamEntry {
  /** The engine's context; its signal is created only if the engine reads it. */
  ctx: EngineCallContext;
  /** Set when the client cancelled: nothing more is sent for the stream. */
  cancelled: boolean;
  /**
   * Set once the stream stopped counting against the limits: when END or ERROR is queued or CANCEL read, i.e. the
   * moment the client sees the stream as over (its engine call may still be unwinding). A client that opens a new
   * stream as soon as one ends is therefore never refused for a slot it already freed.
   */
  released: boolean;
}

/** Shared figures and settings of one server, seen by its connections. */
interface ServerShared {
  engine: Engine;
  observer: ServerObserver;
  authToken: Buffer | undefined;
  maxStreamsPerConnection: number;
  maxStreams: number;
  heartbeatMs: number;
  maxFrameSize: number;
  handshakeTimeoutMs: number;
  writeHighWaterMark: number;
  serverName: string;
  inFlight: number;
  bytesIn: number;
  bytesOut: number;
  draining: boolean;
}

function canceledError(): ModelwireError {
  return new ModelwireError("stream cancelled by the client", Code.Canceled);
}

class ServerConnection {
  state = ConnState.AwaitHello;
  private readonly decoder: FrameDecoder;
  private readonly writer: FrameWriter;
  private readonly streams = new Map<number, StreamEntry>();
  private lastStreamId = 0;
  private lastRx = Date.now();
  private heartbeatMs = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly socket: Socket,
    private readonly shared: ServerShared,
    private readonly protocol: string,
    private readonly onClosed: (c: ServerConnection) => void,
  ) {
    this.decoder = createFrameDecoder({ maxFrameSize: Math.min(shared.maxFrameSize, DEFAULT_MAX_FRAME_SIZE) });
    this.writer = createFrameWriter(socket, shared.writeHighWaterMark);
    if ("setNoDelay" in socket) socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", () => {});
    socket.on("close", () => this.onSocketClose());
    this.timer = setTimeout(() => this.onHandshakeTimeout(), shared.handshakeTimeoutMs);
    this.timer.unref();
  }

  get streamCount(): number {
    return this.streams.size;
  }

  private send(bytes: Uint8Array): void {
    this.writer.write(bytes);
  }

  /** Bytes handed to this connection's socket so far. */
  get bytesOut(): number {
    return this.writer.bytesOut;
  }

  private onData(chunk: Buffer): void {
    this.shared.bytesIn += chunk.length;
    if (this.state === ConnState.Closed) return;
    this.lastRx = Date.now();
    try {
      this.decoder.push(chunk);
      for (let f = this.decoder.next(); f !== undefined; f = this.decoder.next()) {
        this.handle(f);
        if ((this.state as ConnState) === ConnState.Closed) return;
      }
    } catch (e) {
      this.fail(ModelwireError.from(e, Code.Internal));
    }
  }

  private handle(f: Frame): void {
    if (this.state === ConnState.AwaitHello) {
      if (f.type !== FrameType.Hello) {
        throw protocolError(ProtocolErrorReason.UnexpectedFrame, `expected HELLO, got frame type ${f.type}`, {
          type: f.type,
        });
      }
      this.onHello(f);
      return;
    }
    switch (f.type) {
      case FrameType.Open:
        this.onOpen(f);
        return;
      case FrameType.Cancel: {
        const s = this.streams.get(f.streamId);
        if (s && !s.cancelled) {
          s.cancelled = true;
          this.release(s);
          s.ctx.abort(canceledError());
        }
        return;
      }
      case FrameType.Ping:
        if ((f.flags & FrameFlag.Ack) === 0) {
          this.send(encodeFrame({ type: FrameType.Ping, flags: FrameFlag.Ack, streamId: 0, payload: f.payload }));
        }
        return;
      case FrameType.Error: {
        if (f.streamId === 0) {
          this.close(true);
          return;
        }
        const s = this.streams.get(f.streamId);
        if (s && !s.cancelled) {
          s.cancelled = true;
          s.ctx.abort(canceledError());
        }
        return;
      }
      default:
        throw protocolError(ProtocolErrorReason.UnexpectedFrame, `frame type ${f.type} is not allowed from a client`, {
          type: f.type,
        });
    }
  }

  private onHello(f: Frame): void {
    const hello = decodeHello(f.payload);
    const sh = this.shared;
    if (hello.minVersion > PROTOCOL_VERSION || hello.maxVersion < PROTOCOL_VERSION) {
      throw protocolError(
        ProtocolErrorReason.VersionMismatch,
        `no common version: client speaks ${hello.minVersion}..${hello.maxVersion}, server ${PROTOCOL_VERSION}`,
      );
    }
    if (sh.authToken) {
      const given = Buffer.from(hello.metadata["auth-token"] ?? "", "utf8");
      if (given.length !== sh.authToken.length || !timingSafeEqual(given, sh.authToken)) {
        throw protocolError(ProtocolErrorReason.Unauthenticated, "missing or invalid auth-token");
      }
    }
    const maxFrameSize = Math.max(MIN_MAX_FRAME_SIZE, Math.min(hello.maxFrameSize, sh.maxFrameSize));
    const maxStreams =
      hello.maxStreams > 0 ? Math.min(hello.maxStreams, sh.maxStreamsPerConnection) : sh.maxStreamsPerConnection;
    const heartbeatMs = hello.heartbeatMs > 0 ? Math.min(600_000, Math.max(100, hello.heartbeatMs)) : sh.heartbeatMs;
    this.heartbeatMs = heartbeatMs;
    this.maxStreams = maxStreams;
    this.maxFrameSize = maxFrameSize;
    this.decoder.setMaxFrameSize(maxFrameSize);
    this.send(
      encodeFrame({
        type: FrameType.Welcome,
        streamId: 0,
        payload: encodeWelcome({
          version: PROTOCOL_VERSION,
          maxFrameSize,
          maxStreams,
          heartbeatMs,
          sessionId: randomBytes(16),
          metadata: { server: sh.serverName },
        }),
      }),
    );
    this.state = sh.draining ? ConnState.Draining : ConnState.Ready;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (heartbeatMs > 0) this.armIdleTimer();
  }

  private maxStreams = 0;
  /** Streams counted against `maxStreams` (see {@link StreamEntry.released}). */
  private counted = 0;
  private maxFrameSize = DEFAULT_MAX_FRAME_SIZE;

  private armIdleTimer(): void {
    const limit = 3 * this.heartbeatMs;
    const due = this.lastRx + limit - Date.now();
    this.timer = setTimeout(
      () => {
        if (this.state === ConnState.Closed) return;
        if (Date.now() - this.lastRx >= limit) {
          this.close(true);
          return;
        }
        this.armIdleTimer();
      },
      Math.max(10, due),
    );
    this.timer.unref();
  }

  private onHandshakeTimeout(): void {
    if (this.state !== ConnState.AwaitHello) return;
    this.fail(protocolError(ProtocolErrorReason.UnexpectedFrame, "no HELLO within the handshake timeout"));
  }

  private streamError(id: number, err: ModelwireError): void {
    const metadata: Record<string, string> = {};
    for (const k in err.metadata) metadata[k] = err.metadata[k];
    this.send(
      encodeFrame({
        type: FrameType.Error,
        streamId: id,
        payload: encodeErrorPayload({
          code: err.code === Code.Ok ? Code.Unknown : err.code,
          message: err.rawMessage,
          metadata,
        }),
      }),
    );
  }

  private onOpen(f: Frame): void {
    const id = f.streamId;
    if (id <= this.lastStreamId) {
      throw protocolError(
        ProtocolErrorReason.StreamIdReused,
        `stream id ${id} is not greater than the previous one (${this.lastStreamId})`,
        { streamId: id },
      );
    }
    this.lastStreamId = id;
    const open = decodeOpenPayload(f.payload);
    if (this.state === ConnState.Draining || this.shared.draining) {
      this.streamError(id, new ModelwireError("server is shutting down; retry on a new connection", Code.Unavailable));
      return;
    }
    if (this.counted >= this.maxStreams) {
      this.streamError(
        id,
        new ModelwireError(`too many streams on this connection (limit ${this.maxStreams})`, Code.ResourceExhausted, {
          limit: String(this.maxStreams),
        }),
      );
      return;
    }
    if (this.shared.inFlight >= this.shared.maxStreams) {
      this.streamError(
        id,
        new ModelwireError(`server stream limit reached (${this.shared.maxStreams})`, Code.ResourceExhausted, {
          limit: String(this.shared.maxStreams),
        }),
      );
      return;
    }
    const entry: StreamEntry = {
      ctx: createEngineContext(open.timeoutMs > 0 ? Date.now() + open.timeoutMs : undefined),
      cancelled: false,
      released: false,
    };
    this.streams.set(id, entry);
    this.counted++;
    this.shared.inFlight++;
    void this.runStream(id, entry, open.method, f.dataType, open.timeoutMs, open.body);
  }

  private async runStream(
    id: number,
    entry: StreamEntry,
    method: Method,
    dataType: number,
    timeoutMs: number,
    body: Uint8Array,
  ): Promise<void> {
    const call = this.shared.observer.callStarted(this.protocol, METHOD_NAMES[method] ?? "unknown");
    const ctx = entry.ctx;
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (timeoutMs > 0) {
      timer = setTimeout(
        () =>
          ctx.abort(new ModelwireError("deadline exceeded", Code.DeadlineExceeded, { timeoutMs: String(timeoutMs) })),
        timeoutMs,
      );
    }
    const engine = this.shared.engine;
    try {
      const decoded = decodeRequest(method, dataType, body);
      ctx.metadata = decoded.metadata;
      switch (decoded.method) {
        case Method.Generate:
          await this.pump(id, entry, engine.generate(decoded.request, ctx), GENERATE_CHUNKS, call);
          break;
        case Method.Chat:
          await this.pump(id, entry, engine.chat(decoded.request, ctx), CHAT_CHUNKS, call);
          break;
        case Method.Embed:
          this.end(id, entry, toBinary(EmbedResponseSchema, await engine.embed(decoded.request, ctx)));
          break;
        case Method.Show:
          this.end(id, entry, toBinary(ShowModelResponseSchema, await engine.show(decoded.request, ctx)));
          break;
        case Method.List:
          this.end(id, entry, toBinary(ListModelsResponseSchema, await engine.list(ctx)));
          break;
        case Method.Running:
          this.end(id, entry, toBinary(ListRunningResponseSchema, await engine.running(ctx)));
          break;
        case Method.Version:
          this.end(id, entry, toBinary(VersionResponseSchema, await engine.version(ctx)));
          break;
      }
      call.end();
    } catch (e) {
      const err = ctx.reason !== undefined ? ctx.reason : ModelwireError.from(e, Code.Internal);
      if (!entry.cancelled && this.state !== ConnState.Closed) {
        this.release(entry);
        this.streamError(id, err);
      }
      call.end(err);
    } finally {
      if (timer) clearTimeout(timer);
      this.streams.delete(id);
      this.release(entry);
      if (this.state === ConnState.Draining && this.streams.size === 0) this.close(false);
    }
  }

  /** Stops counting a stream against the per-connection and server limits (idempotent). */
  private release(entry: StreamEntry): void {
    if (entry.released) return;
    entry.released = true;
    this.counted--;
    this.shared.inFlight--;
  }

  private end(id: number, entry: StreamEntry, payload: Uint8Array, sequence = 0): void {
    if (entry.cancelled || this.state === ConnState.Closed) return;
    this.checkSize(payload.length);
    this.release(entry);
    this.send(encodeFrame({ type: FrameType.End, streamId: id, sequence, payload }));
  }

  /** Sends an already encoded END frame (see {@link ServerConnection.end}). */
  private endWith(entry: StreamEntry, frame: Uint8Array): void {
    if (entry.cancelled || this.state === ConnState.Closed) return;
    this.checkSize(frame.length - HEADER_SIZE);
    this.release(entry);
    this.send(frame);
  }

  private checkSize(payloadLength: number): void {
    if (payloadLength > this.maxFrameSize) {
      throw new ModelwireError(
        `reply of ${payloadLength} bytes exceeds the negotiated frame size ${this.maxFrameSize}`,
        Code.ResourceExhausted,
      );
    }
  }

  /**
   * Sends a chunk stream: content chunks as DATA, the `done` chunk as END, each as a whole frame from `codec`'s
   * hand-written encoders or else from its protobuf-es `encode`; waits while the socket is backed up.
   */
  private async pump<T extends { done: boolean }>(
    id: number,
    entry: StreamEntry,
    stream: AsyncIterable<T>,
    codec: ChunkCodec<T>,
    call: { chunk(): void },
  ): Promise<void> {
    let seq = 0;
    const ctx = entry.ctx;
    for await (const chunk of stream) {
      if (ctx.aborted) throw ctx.reason;
      if (this.state === ConnState.Closed) throw new ModelwireError("connection closed", Code.Unavailable);
      if (chunk.done) {
        const frame = codec.endFrame(id, seq, chunk);
        if (frame) this.endWith(entry, frame);
        else this.end(id, entry, codec.encode(chunk), seq);
        return;
      }
      const frame = codec.dataFrame(id, seq, chunk);
      if (frame) {
        this.checkSize(frame.length - HEADER_SIZE);
        this.send(frame);
        seq++;
      } else {
        const payload = codec.encode(chunk);
        this.checkSize(payload.length);
        this.send(encodeFrame({ type: FrameType.Data, streamId: id, sequence: seq++, payload }));
      }
      call.chunk();
      if (this.writer.congested) await this.writer.waitForDrain();
    }
    throw new ModelwireError("engine stream ended without a final chunk", Code.Internal);
  }

  /** Connection-level failure: ERROR on stream 0 with the reason, then close. */
  fail(err: ModelwireError): void {
    if (this.state === ConnState.Closed) return;
    this.send(
      encodeFrame({
        type: FrameType.Error,
        streamId: 0,
        payload: encodeErrorPayload({ code: err.code, message: err.rawMessage, metadata: { ...err.metadata } }),
      }),
    );
    this.close(false);
  }

  /** Starts draining: GOAWAY, then close once streams are done. */
  goaway(): void {
    if (this.state === ConnState.Closed) return;
    if (this.state === ConnState.AwaitHello) {
      this.close(true);
      return;
    }
    this.state = ConnState.Draining;
    this.send(
      encodeFrame({
        type: FrameType.Goaway,
        streamId: 0,
        payload: encodeGoaway({ lastStreamId: this.lastStreamId, code: Code.Ok, message: "server shutting down" }),
      }),
    );
    if (this.streams.size === 0) this.close(false);
  }

  /** Closes: aborts streams; `hard` destroys the socket, otherwise flushes and ends it. */
  close(hard: boolean): void {
    if (this.state === ConnState.Closed) {
      if (hard) this.socket.destroy();
      return;
    }
    this.state = ConnState.Closed;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const s of this.streams.values()) {
      s.cancelled = true;
      s.ctx.abort(new ModelwireError("connection closed", Code.Unavailable));
    }
    this.writer.flush();
    if (hard) this.socket.destroy();
    else {
      this.socket.end();
      // A peer that never reads must not keep the socket alive.
      setTimeout(() => this.socket.destroy(), 2000).unref();
    }
  }

  private onSocketClose(): void {
    if (this.state !== ConnState.Closed) this.close(true);
    this.onClosed(this);
  }
}

/** Removes a leftover Unix socket file at `path`; anything that is not a socket is left alone (listen then fails). */
function removeStaleSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) rmSync(path, { force: true });
  } catch {
    // Nothing there.
  }
}

class McpServer implements ProtocolServer {
  private readonly shared: ServerShared;
  private readonly listeners: { server: Server; protocol: string; cleanup?: () => void }[] = [];
  private readonly connections = new Set<ServerConnection>();
  private closing: Promise<void> | undefined;
  private emptyWaiters: (() => void)[] = [];

  constructor(private readonly options: McpServerOptions) {
    if (!options.tcp && !options.unix && !options.tls) {
      throw new ModelwireError("createMcpServer needs at least one of tcp, unix, tls", Code.InvalidArgument, {
        field: "tcp",
      });
    }
    const positive = (name: string, v: number | undefined, def: number, min = 1, max = Number.MAX_SAFE_INTEGER) => {
      const x = v ?? def;
      if (!Number.isInteger(x) || x < min || x > max) {
        throw new ModelwireError(`${name} must be an integer in [${min}, ${max}], got ${x}`, Code.InvalidArgument, {
          field: name,
        });
      }
      return x;
    };
    this.shared = {
      engine: options.engine,
      observer: options.observer ?? noopObserver,
      authToken: options.authToken === undefined ? undefined : Buffer.from(options.authToken, "utf8"),
      maxStreamsPerConnection: positive("maxStreamsPerConnection", options.maxStreamsPerConnection, 128),
      maxStreams: positive("maxStreams", options.maxStreams, 1024),
      heartbeatMs: positive("heartbeatMs", options.heartbeatMs, 5000, 0, 600_000),
      maxFrameSize: positive(
        "maxFrameSize",
        options.maxFrameSize,
        DEFAULT_MAX_FRAME_SIZE,
        MIN_MAX_FRAME_SIZE,
        MAX_MAX_FRAME_SIZE,
      ),
      handshakeTimeoutMs: positive("handshakeTimeoutMs", options.handshakeTimeoutMs, 10_000),
      writeHighWaterMark: positive("writeHighWaterMark", options.writeHighWaterMark, 256 * 1024),
      serverName: options.serverName ?? "modelwire-mcp",
      inFlight: 0,
      bytesIn: 0,
      bytesOut: 0,
      draining: false,
    };
  }

  private accept(socket: Socket, protocol: string): void {
    if (this.shared.draining) {
      socket.destroy();
      return;
    }
    const conn = new ServerConnection(socket, this.shared, protocol, (c) => {
      this.shared.bytesOut += c.bytesOut;
      this.connections.delete(c);
      if (this.connections.size === 0) {
        const w = this.emptyWaiters;
        this.emptyWaiters = [];
        for (const f of w) f();
      }
    });
    this.connections.add(conn);
  }

  async listen(): Promise<ListenAddress[]> {
    const out: ListenAddress[] = [];
    const o = this.options;
    const start = (server: Server, bind: (cb: () => void) => void) =>
      new Promise<Server>((resolve, reject) => {
        server.once("error", reject);
        bind(() => {
          server.off("error", reject);
          resolve(server);
        });
      });
    if (o.tcp) {
      const server = createNetServer((s) => this.accept(s, "mcp-tcp"));
      const host = o.tcp.host ?? "127.0.0.1";
      await start(server, (cb) => server.listen(o.tcp?.port, host, cb));
      this.listeners.push({ server, protocol: "mcp-tcp" });
      const port = (server.address() as { port: number }).port;
      out.push({ protocol: "mcp-tcp", url: formatEndpoint({ kind: "tcp", host, port }) });
    }
    if (o.unix) {
      const path = o.unix.path;
      removeStaleSocket(path);
      const server = createNetServer((s) => this.accept(s, "mcp-uds"));
      await start(server, (cb) => server.listen(path, cb));
      this.listeners.push({ server, protocol: "mcp-uds", cleanup: () => removeStaleSocket(path) });
      out.push({ protocol: "mcp-uds", url: formatEndpoint({ kind: "unix", path }) });
    }
    if (o.tls) {
      const { host: h, port: p, ...tlsOptions } = o.tls;
      const host = h ?? "127.0.0.1";
      const server = createTlsServer(tlsOptions, (s) => this.accept(s, "mcp-tls"));
      server.on("tlsClientError", () => {});
      await start(server, (cb) => server.listen(p, host, cb));
      this.listeners.push({ server, protocol: "mcp-tls" });
      const port = (server.address() as { port: number }).port;
      out.push({ protocol: "mcp-tls", url: formatEndpoint({ kind: "tls", host, port }) });
    }
    return out;
  }

  stats(): ServerStats {
    let live = 0;
    for (const c of this.connections) live += c.bytesOut;
    return {
      connections: this.connections.size,
      inFlight: this.shared.inFlight,
      bytesIn: this.shared.bytesIn,
      bytesOut: this.shared.bytesOut + live,
    };
  }

  close(options: { graceMs?: number } = {}): Promise<void> {
    if (!this.closing) this.closing = this.doClose(options.graceMs ?? 5000);
    return this.closing;
  }

  private async doClose(graceMs: number): Promise<void> {
    this.shared.draining = true;
    const closed = this.listeners.map(
      (l) =>
        new Promise<void>((resolve) => {
          l.server.close(() => resolve());
          l.cleanup?.();
        }),
    );
    for (const c of this.connections) c.goaway();
    if (this.connections.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.emptyWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    for (const c of this.connections) c.close(true);
    await Promise.all(closed);
  }
}

/**
 * Creates an MCP (Model Communication Protocol) server that runs `options.engine` for every stream, on TCP, a Unix
 * socket and/or TLS. Implements {@link ProtocolServer}: `listen()` binds, `close({ graceMs })` sends GOAWAY and lets
 * streams in flight finish, `stats()` counts connections, streams and socket bytes.
 */
export function createMcpServer(options: McpServerOptions): ProtocolServer {
  return new McpServer(options);
}
