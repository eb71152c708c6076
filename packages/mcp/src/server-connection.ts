import { randomBytes } from "node:crypto";
import type { Socket } from "node:net";
import { Code, clampTimerMs, createEngineContext, ModelwireError, socketStallTarget } from "@modelwire/core";
import {
  createFrameDecoder,
  DataBatch,
  DEFAULT_MAX_FRAME_SIZE,
  decodeErrorPayload,
  decodeHello,
  decodeOpenPayload,
  encodeErrorPayload,
  encodeFrame,
  encodeGoaway,
  encodeWelcome,
  FEATURES_KEY,
  Feature,
  type Frame,
  type FrameDecoder,
  FrameFlag,
  FrameType,
  formatFeatures,
  MIN_MAX_FRAME_SIZE,
  PROTOCOL_VERSION,
  ProtocolErrorReason,
  parseFeatures,
  protocolError,
} from "@modelwire/mcp-codec";
import { createFrameWriter, DEFAULT_MAX_BATCH_BYTES, type FrameWriter } from "./frame-writer.js";
import type { ServerShared } from "./server-options.js";
import { runStream, type StreamConnection, type StreamEntry } from "./server-stream.js";

/**
 * One accepted connection of the MCP server, a state machine (AwaitHello → Ready → Draining → Closed, see
 * docs/mcp-wire.md §5): the handshake, the frames a client may send, the stream table and its limits, the idle
 * timer, GOAWAY and close. Each OPEN becomes a stream run by server-stream.ts.
 */

enum ConnState {
  AwaitHello,
  Ready,
  Draining,
  Closed,
}

function canceledError(): ModelwireError {
  return new ModelwireError("stream cancelled by the client", Code.Canceled);
}

export class ServerConnection implements StreamConnection {
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
    readonly shared: ServerShared,
    readonly protocol: string,
    private readonly onClosed: (c: ServerConnection) => void,
  ) {
    this.decoder = createFrameDecoder({ maxFrameSize: Math.min(shared.maxFrameSize, DEFAULT_MAX_FRAME_SIZE) });
    this.writer = createFrameWriter(socket, shared.writeHighWaterMark, shared.writeBatchFrames);
    if ("setNoDelay" in socket) socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", () => {});
    socket.on("close", () => this.onSocketClose());
    this.timer = setTimeout(() => this.onHandshakeTimeout(), clampTimerMs(shared.handshakeTimeoutMs));
    this.timer.unref();
    this.unwatch = shared.stallWatch.watch(this.stallTarget(), (err) => this.onStall(err));
    // Over the write budget, the connection holding the most fails as a stalled one does (v1 backpressure is per
    // connection, so its streams are what is behind).
    this.unbudget = shared.writeBudget.watch({ pending: () => this.writer.backlog }, (err) => this.onStall(err));
  }

  private unwatch: () => void;
  private readonly unbudget: () => void;

  /** The frames waiting here and in the socket, and the bytes the kernel took. */
  private stallTarget() {
    const socket = this.socket;
    const flushed = socketStallTarget(socket).flushed;
    return { pending: () => this.writer.backlog, flushed };
  }

  /**
   * The client read nothing for the stall timeout, or holds the most over the write budget: ERROR on stream 0
   * (RESOURCE_EXHAUSTED, reason `write_stall` or `write_budget`), queued
   * behind what it has not read; every stream is aborted and its slot freed now. The socket is ended, and destroyed
   * once it makes no progress for another stall period, at least 5 s (a client that reads again first gets the
   * ERROR).
   */
  private onStall(err: ModelwireError): void {
    if (this.state === ConnState.Closed) return;
    this.fail(err, true);
    this.unwatch = this.shared.lingerWatch.watch(this.stallTarget(), () => this.socket.destroy());
  }

  get streamCount(): number {
    return this.streams.size;
  }

  send(bytes: Uint8Array, counted = true): void {
    this.writer.write(bytes, counted);
  }

  openBatch(streamId: number, capacity: number): DataBatch {
    const batch = new DataBatch(streamId, Math.min(this.maxFrameSize, DEFAULT_MAX_BATCH_BYTES), capacity);
    this.writer.writeSealed(batch, 0);
    return batch;
  }

  batched(bytes: number): void {
    this.writer.grew(bytes);
  }

  get isClosed(): boolean {
    return this.state === ConnState.Closed;
  }

  get congested(): boolean {
    return this.writer.congested;
  }

  waitForDrain(): Promise<void> {
    return this.writer.waitForDrain();
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
      case FrameType.Cancel:
        this.abandon(f.streamId);
        return;
      case FrameType.Ping:
        if ((f.flags & FrameFlag.Ack) === 0) {
          this.send(encodeFrame({ type: FrameType.Ping, flags: FrameFlag.Ack, streamId: 0, payload: f.payload }));
        }
        return;
      case FrameType.Error:
        // Validated like any frame a client may send (a malformed one is bad_payload, connection-level); then on
        // stream 0 the client is leaving: close without answering; on a stream it abandons it, as CANCEL does.
        decodeErrorPayload(f.payload);
        if (f.streamId === 0) this.close(true);
        else this.abandon(f.streamId);
        return;
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
    if (sh.authToken && !sh.authToken(hello.metadata["auth-token"])) {
      throw protocolError(ProtocolErrorReason.Unauthenticated, "missing or invalid auth-token");
    }
    const maxFrameSize = Math.max(MIN_MAX_FRAME_SIZE, Math.min(hello.maxFrameSize, sh.maxFrameSize));
    const maxStreams =
      hello.maxStreams > 0 ? Math.min(hello.maxStreams, sh.maxStreamsPerConnection) : sh.maxStreamsPerConnection;
    const heartbeatMs = hello.heartbeatMs > 0 ? Math.min(600_000, Math.max(100, hello.heartbeatMs)) : sh.heartbeatMs;
    this.heartbeatMs = heartbeatMs;
    this.maxStreams = maxStreams;
    this.maxFrameSize = maxFrameSize;
    this.decoder.setMaxFrameSize(maxFrameSize);
    const offer = parseFeatures(hello.metadata[FEATURES_KEY]);
    this.compactData = sh.compactData && offer.has(Feature.CompactData);
    this.batchData = sh.batchData && offer.has(Feature.BatchData);
    const accepted: string[] = [];
    if (this.compactData) accepted.push(Feature.CompactData);
    if (this.batchData) accepted.push(Feature.BatchData);
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
          metadata:
            accepted.length > 0
              ? { server: sh.serverName, [FEATURES_KEY]: formatFeatures(accepted) }
              : { server: sh.serverName },
        }),
      }),
    );
    this.state = sh.draining ? ConnState.Draining : ConnState.Ready;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (heartbeatMs > 0) this.armIdleTimer();
  }

  /** The client offered `compact-data` and this server accepted it (announced in WELCOME). */
  compactData = false;
  /** The client offered `batch-data` and this server accepted it (announced in WELCOME). */
  batchData = false;
  private maxStreams = 0;
  /** Streams counted against `maxStreams` (see {@link StreamEntry.released}). */
  private counted = 0;
  /** The negotiated largest payload (the server's until HELLO). */
  maxFrameSize = DEFAULT_MAX_FRAME_SIZE;

  private armIdleTimer(): void {
    const limit = 3 * this.heartbeatMs;
    const due = this.lastRx + limit - Date.now();
    this.timer = setTimeout(
      () => {
        if (this.state === ConnState.Closed) return;
        if (Date.now() - this.lastRx < limit) return this.armIdleTimer();
        // Due, but perhaps only because this thread was busy: frames that arrived meanwhile are read in the poll
        // phase, after the timers phase. Decide after it.
        setImmediate(() => {
          if (this.state === ConnState.Closed) return;
          if (Date.now() - this.lastRx >= limit) this.close(true);
          else this.armIdleTimer();
        });
      },
      clampTimerMs(Math.max(10, due)),
    );
    this.timer.unref();
  }

  private onHandshakeTimeout(): void {
    if (this.state !== ConnState.AwaitHello) return;
    this.fail(protocolError(ProtocolErrorReason.HandshakeTimeout, "no HELLO within the handshake timeout"));
  }

  streamError(id: number, err: ModelwireError): void {
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
    void runStream(this, id, entry, open.method, f.dataType, open.timeoutMs, open.body);
  }

  /** CANCEL, or a client's stream ERROR: aborts the stream's engine call; nothing more is sent for it. */
  private abandon(id: number): void {
    const s = this.streams.get(id);
    if (s && !s.cancelled) {
      s.cancelled = true;
      this.release(s);
      s.ctx.abort(canceledError());
    }
  }

  /** Stops counting a stream against the per-connection and server limits (idempotent). */
  release(entry: StreamEntry): void {
    if (entry.released) return;
    entry.released = true;
    this.counted--;
    this.shared.inFlight--;
  }

  /** The stream's engine call returned: forget it; a draining connection closes after its last stream. */
  streamDone(id: number, entry: StreamEntry): void {
    this.streams.delete(id);
    this.release(entry);
    if (this.state === ConnState.Draining && this.streams.size === 0) this.close(false);
  }

  /** Connection-level failure: ERROR on stream 0 with the reason, then close (`linger`: see {@link close}). */
  fail(err: ModelwireError, linger = false): void {
    if (this.state === ConnState.Closed) return;
    this.send(
      encodeFrame({
        type: FrameType.Error,
        streamId: 0,
        payload: encodeErrorPayload({ code: err.code, message: err.rawMessage, metadata: { ...err.metadata } }),
      }),
    );
    this.close(false, linger);
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

  /**
   * Closes: aborts streams (their slots are freed at once); `hard` destroys the socket, otherwise flushes and ends
   * it, then destroys it after 2 s — or, with `linger`, leaves that to the stall watch.
   */
  close(hard: boolean, linger = false): void {
    if (this.state === ConnState.Closed) {
      if (hard) this.socket.destroy();
      return;
    }
    this.state = ConnState.Closed;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const s of this.streams.values()) {
      s.cancelled = true;
      this.release(s);
      s.ctx.abort(new ModelwireError("connection closed", Code.Unavailable));
    }
    this.writer.flush();
    this.writer.release();
    if (hard) this.socket.destroy();
    else {
      this.socket.end();
      // A peer that never reads must not keep the socket alive.
      if (!linger) setTimeout(() => this.socket.destroy(), 2000).unref();
    }
  }

  private onSocketClose(): void {
    this.unwatch();
    this.unbudget();
    if (this.state !== ConnState.Closed) this.close(true);
    this.onClosed(this);
  }
}
