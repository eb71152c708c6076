import type { Socket } from "node:net";
import { Code, clampTimerMs, ModelwireError, setLongTimeout } from "@modelwire/core";
import {
  createFrameDecoder,
  decodeErrorPayload,
  decodeGoaway,
  decodePing,
  decodeWelcome,
  encodeErrorPayload,
  encodeFrame,
  encodePing,
  FEATURES_KEY,
  Feature,
  type Frame,
  type FrameDecoder,
  FrameFlag,
  FrameType,
  MAX_STREAM_ID,
  type Method,
  PROTOCOL_VERSION,
  ProtocolErrorReason,
  parseFeatures,
  protocolError,
  type Welcome,
} from "@modelwire/mcp-codec";
import {
  encodeGenerateOpenFrame,
  encodeRequestOpenFrame,
  encodeRequestOpenFrameParts,
  LARGE_INPUT_BYTES,
} from "@modelwire/mcp-codec/internal";
import { dialEndpoint, helloFrame } from "./client-dial.js";
import { ClientStream } from "./client-stream.js";
import type { ConnectionSettings, RequestBody } from "./connection-settings.js";
import { createFrameWriter, type FrameWriter } from "./frame-writer.js";

export type { ConnectionSettings, RequestBody } from "./connection-settings.js";

enum State {
  Connecting,
  Ready,
  Draining,
  Closed,
}

/**
 * One MCP connection of a client: handshake, stream table, heartbeat, dead-peer detection. It fails every
 * stream with `Unavailable` the moment it dies.
 */
export class ClientConnection {
  private state = State.Connecting;
  private socket!: Socket;
  private decoder!: FrameDecoder;
  private writer!: FrameWriter;
  private readonly streams = new Map<number, ClientStream>();
  private nextId = 1;
  private highestOpened = 0;
  private lastRx = 0;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private deadTimer: ReturnType<typeof setTimeout> | undefined;
  private queuedChunks = 0;
  private paused = false;
  welcome: Welcome | undefined;
  rttMs: number | undefined;
  bytesIn = 0;
  private onGone: ((c: ClientConnection, err: ModelwireError) => void) | undefined;
  private onDrain: ((c: ClientConnection) => void) | undefined;
  closeError: ModelwireError | undefined;
  /** Called whenever a stream stops occupying one of the connection's `maxStreams` slots. */
  onSlotFree: ((c: ClientConnection) => void) | undefined;

  constructor(private readonly settings: ConnectionSettings) {}

  get active(): number {
    return this.streams.size;
  }

  get ready(): boolean {
    return this.state === State.Ready && this.nextId <= MAX_STREAM_ID;
  }

  get closed(): boolean {
    return this.state === State.Closed;
  }

  get stateName(): string {
    return ["connecting", "ready", "draining", "closed"][this.state];
  }

  get maxStreams(): number {
    return this.welcome?.maxStreams ?? 1;
  }

  /** True when the connection is ready and has a free stream slot under the server's `maxStreams`. */
  get hasSlot(): boolean {
    return this.ready && this.streams.size < (this.welcome?.maxStreams || Number.POSITIVE_INFINITY);
  }

  private freed(): void {
    this.onSlotFree?.(this);
  }

  get bytesOut(): number {
    return this.writer?.bytesOut ?? 0;
  }

  /** Connects and completes the handshake; rejects with `Unavailable` / `Unauthenticated` / `DeadlineExceeded`. */
  open(
    onGone: (c: ClientConnection, err: ModelwireError) => void,
    onDrain: (c: ClientConnection) => void,
  ): Promise<void> {
    this.onGone = onGone;
    this.onDrain = onDrain;
    const s = this.settings;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (err?: ModelwireError) => {
        if (settled) return;
        settled = true;
        timer.clear();
        if (err) {
          this.die(err);
          reject(err);
        } else resolve();
      };
      const timer = setLongTimeout(
        () =>
          settle(
            new ModelwireError(`MCP connect/handshake timed out after ${s.connectTimeoutMs} ms`, Code.Unavailable),
          ),
        s.connectTimeoutMs,
      ).unref();
      const socket = dialEndpoint(s, () => this.writer.write(helloFrame(s)));
      this.socket = socket;
      this.decoder = createFrameDecoder({ maxFrameSize: s.maxFrameSize });
      this.writer = createFrameWriter(socket, 256 * 1024, s.writeBatchFrames);
      this.handshakeDone = () => settle();
      this.handshakeFailed = (err) => settle(err);
      socket.on("data", (chunk: Buffer) => this.onData(chunk));
      socket.on("error", (err) => {
        const me = ModelwireError.from(err, Code.Unavailable);
        const e2 =
          me.code === Code.Unavailable ? me : new ModelwireError(me.rawMessage, Code.Unavailable, me.metadata, err);
        if (!settled) settle(e2);
        else this.die(e2);
      });
      socket.on("close", () => {
        const err = this.closeError ?? new ModelwireError("MCP connection closed by the peer", Code.Unavailable);
        if (!settled) settle(err);
        else this.die(err);
      });
    });
  }

  private handshakeDone: () => void = () => {};
  private handshakeFailed: (err: ModelwireError) => void = () => {};

  private onData(chunk: Buffer): void {
    this.bytesIn += chunk.length;
    if (this.state === State.Closed) return;
    this.lastRx = performance.now();
    try {
      // As a plain Uint8Array view: the frames' payloads are `subarray`s of it, and Buffer's own subarray builds a
      // FastBuffer through a JS constructor (~2 % of the client's busy time at 256 tokens); nothing here needs a Buffer.
      this.decoder.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
      for (let f = this.decoder.next(); f !== undefined; f = this.decoder.next()) {
        this.handle(f);
        if ((this.state as State) === State.Closed) return;
      }
    } catch (e) {
      const err = ModelwireError.from(e, Code.Internal);
      // Tell the server why, then drop the connection; streams fail with Unavailable.
      this.writer.write(
        encodeFrame({
          type: FrameType.Error,
          streamId: 0,
          payload: encodeErrorPayload({ code: err.code, message: err.rawMessage, metadata: { ...err.metadata } }),
        }),
      );
      this.writer.flush();
      this.die(
        new ModelwireError(
          `MCP protocol error from the server: ${err.rawMessage}`,
          Code.Unavailable,
          err.metadata,
          err,
        ),
      );
    }
  }

  private handle(f: Frame): void {
    if (this.state === State.Connecting) {
      if (f.type === FrameType.Welcome) {
        const w = decodeWelcome(f.payload);
        if (w.version !== PROTOCOL_VERSION) {
          throw protocolError(ProtocolErrorReason.VersionMismatch, `server chose version ${w.version}`);
        }
        this.welcome = w;
        this.decoder.setMaxFrameSize(Math.min(this.settings.maxFrameSize, Math.max(w.maxFrameSize, 1024)));
        // Only a feature this client offered counts; the frames after WELCOME may already use it.
        const accepted = parseFeatures(w.metadata[FEATURES_KEY]);
        if (this.settings.compactData && accepted.has(Feature.CompactData)) this.decoder.enableCompactData();
        if (this.settings.batchData && accepted.has(Feature.BatchData)) this.decoder.enableBatchData();
        this.state = State.Ready;
        this.startHeartbeat(w.heartbeatMs);
        this.handshakeDone();
        return;
      }
      if (f.type === FrameType.Error && f.streamId === 0) {
        const e = decodeErrorPayload(f.payload);
        const err = new ModelwireError(e.message, e.code, e.metadata);
        this.closeError = err;
        this.handshakeFailed(err);
        return;
      }
      throw protocolError(ProtocolErrorReason.UnexpectedFrame, `expected WELCOME, got frame type ${f.type}`);
    }
    switch (f.type) {
      case FrameType.Data:
      case FrameType.End: {
        const s = this.streams.get(f.streamId);
        if (!s) {
          if (f.streamId > this.highestOpened) {
            throw protocolError(ProtocolErrorReason.UnexpectedFrame, `frame for stream ${f.streamId}, never opened`);
          }
          return; // cancelled or finished: drop
        }
        if (f.compact === true || f.batch !== undefined) {
          // Its sequence is the stream's next; its model may be the previous DATA's, so one must have come first.
          if (s.expectedSeq === 0) {
            throw protocolError(
              ProtocolErrorReason.UnexpectedFrame,
              `${f.batch === undefined ? "compact" : "batched"} DATA for stream ${f.streamId} before any DATA frame`,
              { streamId: f.streamId },
            );
          }
          f.sequence = s.expectedSeq;
        }
        if (f.sequence !== s.expectedSeq) {
          const err = protocolError(
            ProtocolErrorReason.SequenceGap,
            `stream ${f.streamId}: expected sequence ${s.expectedSeq}, got ${f.sequence}`,
            { streamId: f.streamId },
          );
          // Chunks that arrived in order stay readable; the error follows them.
          s.failWith(err);
          this.cancelStream(s, false);
          return;
        }
        // A batched frame's entries take the stream's next sequences, one each (docs/mcp-wire.md §4.9).
        s.expectedSeq += f.batch ?? 1;
        if (f.type === FrameType.End) {
          this.streams.delete(f.streamId);
          s.deliver(f);
          this.freed();
          return;
        }
        s.deliver(f);
        return;
      }
      case FrameType.Error: {
        const e = decodeErrorPayload(f.payload);
        const err = new ModelwireError(e.message, e.code, e.metadata);
        if (f.streamId === 0) {
          this.closeError =
            err.code === Code.Unavailable
              ? err
              : new ModelwireError(e.message, Code.Unavailable, { ...e.metadata, code: String(e.code) });
          this.die(this.closeError);
          return;
        }
        const s = this.streams.get(f.streamId);
        if (s) {
          this.streams.delete(f.streamId);
          s.failWith(err);
          this.maybeDrained();
          this.freed();
        } else if (f.streamId > this.highestOpened) {
          throw protocolError(ProtocolErrorReason.UnexpectedFrame, `ERROR for stream ${f.streamId}, never opened`);
        }
        return;
      }
      case FrameType.Ping: {
        if (f.flags & FrameFlag.Ack) {
          this.rttMs = performance.now() - decodePing(f.payload);
        } else {
          this.writer.write(
            encodeFrame({ type: FrameType.Ping, flags: FrameFlag.Ack, streamId: 0, payload: f.payload }),
          );
        }
        return;
      }
      case FrameType.Goaway: {
        const g = decodeGoaway(f.payload);
        this.state = State.Draining;
        for (const [id, s] of this.streams) {
          if (id > g.lastStreamId) {
            this.streams.delete(id);
            s.failWith(new ModelwireError("server is shutting down (goaway); stream not processed", Code.Unavailable));
          }
        }
        this.onDrain?.(this);
        this.maybeDrained();
        return;
      }
      default:
        throw protocolError(ProtocolErrorReason.UnexpectedFrame, `frame type ${f.type} is not allowed from a server`);
    }
  }

  private startHeartbeat(ms: number): void {
    if (ms <= 0) return;
    this.lastRx = performance.now();
    // WELCOME's heartbeat is a u32 the server chooses: clamped to what a timer takes (never a 1 ms ping flood).
    this.pingTimer = setInterval(() => {
      this.writer.write(encodeFrame({ type: FrameType.Ping, streamId: 0, payload: encodePing(performance.now()) }));
    }, clampTimerMs(ms));
    this.pingTimer.unref();
    const limit = clampTimerMs(2 * ms);
    const arm = (delay: number) => {
      this.deadTimer = setTimeout(
        () => {
          if (this.state === State.Closed) return;
          // While reading is paused for backpressure the silence is this client's own: judge only what it reads.
          if (this.paused) return arm(limit);
          if (performance.now() - this.lastRx < limit) return arm(limit - (performance.now() - this.lastRx));
          // Due, but perhaps only because this thread was busy (a long task, GC, a loaded machine): frames that
          // arrived meanwhile are read in the poll phase, which runs after the timers phase. Decide after it.
          setImmediate(() => {
            if (this.state === State.Closed) return;
            const silent = performance.now() - this.lastRx;
            if (silent < limit) return arm(limit - silent);
            this.die(
              protocolError(
                ProtocolErrorReason.HeartbeatTimeout,
                `no frame from the server for ${Math.round(silent)} ms (heartbeat ${ms} ms)`,
              ),
            );
            this.socket.destroy();
          });
        },
        clampTimerMs(Math.max(5, delay)),
      );
      this.deadTimer.unref();
    };
    arm(limit);
  }

  /** Opens a stream: writes OPEN (coalesced with others of this tick) and returns its receiver. */
  openStream(method: Method, dataType: number, timeoutMs: number, body: RequestBody): ClientStream {
    if (this.state !== State.Ready) {
      throw new ModelwireError("MCP connection is not ready", Code.Unavailable);
    }
    const id = this.nextId;
    this.nextId += 1;
    this.highestOpened = id;
    const s = new ClientStream(id, this);
    this.streams.set(id, s);
    // The InferenceRequest is written straight into the frame; a large input is not copied at all (writev).
    if (body.generate !== undefined) {
      this.writer.write(encodeGenerateOpenFrame(id, body.generate, timeoutMs, body.metadata));
    } else if (body.input.length >= LARGE_INPUT_BYTES) {
      this.writer.writeParts(
        encodeRequestOpenFrameParts(id, dataType, method, timeoutMs, body.modelVersion, body.input, body.metadata),
      );
    } else {
      this.writer.write(
        encodeRequestOpenFrame(id, dataType, method, timeoutMs, body.modelVersion, body.input, body.metadata),
      );
    }
    return s;
  }

  /** Sends CANCEL for a live stream and forgets it; frames still in flight for it are dropped on arrival. */
  cancelStream(s: ClientStream, dropQueued = true): void {
    if (dropQueued) this.queued(-s.drop());
    if (this.streams.get(s.id) !== s) return;
    this.streams.delete(s.id);
    if (this.state === State.Ready || this.state === State.Draining) {
      this.writer.write(encodeFrame({ type: FrameType.Cancel, streamId: s.id }));
    }
    this.maybeDrained();
    this.freed();
  }

  /** Client-side backpressure: pause reading while too many chunks wait for the application. */
  queued(delta: number): void {
    this.queuedChunks += delta;
    const max = this.settings.maxQueuedChunks;
    if (!this.paused && this.queuedChunks > max) {
      this.paused = true;
      this.socket.pause();
    } else if (this.paused && this.queuedChunks <= max / 2) {
      this.paused = false;
      // The heartbeat clock restarts when reading does (frames may have waited in the socket all along).
      this.lastRx = performance.now();
      this.socket.resume();
    }
  }

  private maybeDrained(): void {
    if (this.state === State.Draining && this.streams.size === 0) this.close();
  }

  /** Fails every stream with `err` and releases the socket. Idempotent. */
  die(err: ModelwireError, graceful = false): void {
    if (this.state === State.Closed) return;
    this.state = State.Closed;
    this.closeError ??= err;
    if (this.pingTimer) clearInterval(this.pingTimer);
    if (this.deadTimer) clearTimeout(this.deadTimer);
    const streams = [...this.streams.values()];
    this.streams.clear();
    for (const s of streams) s.failWith(err);
    if (!graceful) this.socket?.destroy();
    else setTimeout(() => this.socket.destroy(), 1000).unref();
    this.onGone?.(this, err);
  }

  /** Closes gracefully: flushes, ends the socket; streams still open fail with `Canceled`. */
  close(): void {
    if (this.state === State.Closed) return;
    this.writer?.flush();
    this.socket?.end();
    this.die(new ModelwireError("MCP client closed", Code.Canceled), true);
  }
}
