import { toBinary } from "@bufbuild/protobuf";
import {
  type CallObserver,
  type ChatResponse,
  ChatResponseSchema,
  Code,
  EmbedResponseSchema,
  type EngineCallContext,
  type GenerateResponse,
  GenerateResponseSchema,
  ListModelsResponseSchema,
  ListRunningResponseSchema,
  type LongTimeout,
  ModelwireError,
  ShowModelResponseSchema,
  setLongTimeout,
  VersionResponseSchema,
} from "@modelwire/core";
import {
  BATCH_HEADER_SIZE,
  COMPACT_HEADER_SIZE,
  type DataBatch,
  encodeFrame,
  FrameType,
  HEADER_SIZE,
  Method,
} from "@modelwire/mcp-codec";
import {
  decodeRequest,
  encodeChatBatchEntry,
  encodeChatCompactFrame,
  encodeChatContentFrame,
  encodeChatFinalFrame,
  encodeCompactContentFrame,
  encodeContentBatchEntry,
  encodeContentChunkFrame,
  encodeFinalChunkFrame,
  METHOD_NAMES,
} from "@modelwire/mcp-codec/internal";
import type { ServerShared } from "./server-options.js";

/**
 * One stream on the server, from its OPEN to its END or ERROR: the body decoded for the engine, the engine called
 * under the stream's deadline, and the reply sent — a chunk stream as DATA frames and a final END, a unary reply as
 * one END — on the connection it came in on.
 */

/** A stream the connection is running. */
export interface StreamEntry {
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

/** What a stream needs of its connection. */
export interface StreamConnection {
  readonly shared: ServerShared;
  /** `"mcp-tcp"`, `"mcp-uds"` or `"mcp-tls"`, for the observer. */
  readonly protocol: string;
  /** True once the connection closed: nothing more is sent. */
  readonly isClosed: boolean;
  /** The negotiated largest payload. */
  readonly maxFrameSize: number;
  /** The `compact-data` feature is on (WELCOME announced it): later chunks may go as compact DATA. */
  readonly compactData: boolean;
  /** The `batch-data` feature is on: later chunks produced in one tick go together in batched DATA frames. */
  readonly batchData: boolean;
  /**
   * Queues a new batched DATA frame for stream `id` (room for `capacity` bytes to start with); it is sealed and
   * written with the tick's other frames.
   */
  openBatch(id: number, capacity: number): DataBatch;
  /** An open batch grew by `bytes` (counted toward the writer's byte bound and the backlog). */
  batched(bytes: number): void;
  /** True while the socket is backed up (the stream stops pulling from the engine). */
  readonly congested: boolean;
  waitForDrain(): Promise<void>;
  /** Queues a frame; `counted` false for a stream's later chunks (see the frame writer's `maxBatchBytes`). */
  send(bytes: Uint8Array, counted?: boolean): void;
  /** Stops counting the stream against the limits (idempotent). */
  release(entry: StreamEntry): void;
  /** Sends ERROR for the stream. */
  streamError(id: number, err: ModelwireError): void;
  /** The stream is over (its engine call returned): forget it. */
  streamDone(id: number, entry: StreamEntry): void;
}

/** How a stream's chunks go on the wire: whole frames written by hand, or protobuf-es where those decline. */
interface ChunkCodec<T> {
  /** The chunk's payload by protobuf-es. */
  encode(chunk: T): Uint8Array;
  /** A content chunk as a whole DATA frame, or `undefined` (use `encode`). */
  dataFrame(streamId: number, sequence: number, chunk: T): Uint8Array | undefined;
  /** The final chunk as a whole END frame, or `undefined` (use `encode`). */
  endFrame(streamId: number, sequence: number, chunk: T): Uint8Array | undefined;
  /** A content chunk as a whole compact DATA frame without its model, or `undefined` (send v1 DATA). */
  compactFrame(streamId: number, chunk: T): Uint8Array | undefined;
  /** A content chunk without its model as the next entry of `batch`; false when declined or it does not fit. */
  batchEntry(batch: DataBatch, chunk: T): boolean;
}

const GENERATE_CHUNKS: ChunkCodec<GenerateResponse> = {
  encode: (m) => toBinary(GenerateResponseSchema, m),
  dataFrame: encodeContentChunkFrame,
  endFrame: encodeFinalChunkFrame,
  compactFrame: encodeCompactContentFrame,
  batchEntry: encodeContentBatchEntry,
};

const CHAT_CHUNKS: ChunkCodec<ChatResponse> = {
  encode: (m) => toBinary(ChatResponseSchema, m),
  dataFrame: encodeChatContentFrame,
  endFrame: encodeChatFinalFrame,
  compactFrame: encodeChatCompactFrame,
  batchEntry: encodeChatBatchEntry,
};

/**
 * Runs one stream to its end: decodes `body`, calls the engine, sends the reply; a failure (the engine's, a bad
 * request, the deadline `timeoutMs`, a reply over the frame size) is sent as ERROR unless the client cancelled or
 * the connection closed. Never rejects.
 */
export async function runStream(
  c: StreamConnection,
  id: number,
  entry: StreamEntry,
  method: Method,
  dataType: number,
  timeoutMs: number,
  body: Uint8Array,
): Promise<void> {
  const call = c.shared.observer.callStarted(c.protocol, METHOD_NAMES[method] ?? "unknown");
  const ctx = entry.ctx;
  let timer: LongTimeout | undefined;
  // The OPEN deadline is a u32 of ms, up to 49.7 days: chained past Node's 2^31-1 ms timer limit.
  if (timeoutMs > 0) {
    timer = setLongTimeout(
      () => ctx.abort(new ModelwireError("deadline exceeded", Code.DeadlineExceeded, { timeoutMs: String(timeoutMs) })),
      timeoutMs,
    );
  }
  const engine = c.shared.engine;
  try {
    const decoded = decodeRequest(method, dataType, body);
    ctx.metadata = decoded.metadata;
    switch (decoded.method) {
      case Method.Generate:
        await pump(c, id, entry, engine.generate(decoded.request, ctx), GENERATE_CHUNKS, call);
        break;
      case Method.Chat:
        await pump(c, id, entry, engine.chat(decoded.request, ctx), CHAT_CHUNKS, call);
        break;
      case Method.Embed:
        end(c, id, entry, toBinary(EmbedResponseSchema, await engine.embed(decoded.request, ctx)));
        break;
      case Method.Show:
        end(c, id, entry, toBinary(ShowModelResponseSchema, await engine.show(decoded.request, ctx)));
        break;
      case Method.List:
        end(c, id, entry, toBinary(ListModelsResponseSchema, await engine.list(ctx)));
        break;
      case Method.Running:
        end(c, id, entry, toBinary(ListRunningResponseSchema, await engine.running(ctx)));
        break;
      case Method.Version:
        end(c, id, entry, toBinary(VersionResponseSchema, await engine.version(ctx)));
        break;
    }
    call.end();
  } catch (e) {
    const err = ctx.reason !== undefined ? ctx.reason : ModelwireError.from(e, Code.Internal);
    if (!entry.cancelled && !c.isClosed) {
      c.release(entry);
      c.streamError(id, err);
    }
    call.end(err);
  } finally {
    timer?.clear();
    c.streamDone(id, entry);
  }
}

/** Room a new batch starts with (header included) when the stream's previous one took `last` payload bytes. */
function batchRoom(last: number): number {
  return BATCH_HEADER_SIZE + last + (last >> 2) + 16;
}

function checkSize(c: StreamConnection, payloadLength: number): void {
  if (payloadLength > c.maxFrameSize) {
    throw new ModelwireError(
      `reply of ${payloadLength} bytes exceeds the negotiated frame size ${c.maxFrameSize}`,
      Code.ResourceExhausted,
      { limit: String(c.maxFrameSize) },
    );
  }
}

/** Sends the reply's END frame with `payload` (nothing when cancelled or closed). */
function end(c: StreamConnection, id: number, entry: StreamEntry, payload: Uint8Array, sequence = 0): void {
  if (entry.cancelled || c.isClosed) return;
  checkSize(c, payload.length);
  c.release(entry);
  c.send(encodeFrame({ type: FrameType.End, streamId: id, sequence, payload }));
}

/** Sends an already encoded END frame (see {@link end}). */
function endWith(c: StreamConnection, entry: StreamEntry, frame: Uint8Array): void {
  if (entry.cancelled || c.isClosed) return;
  checkSize(c, frame.length - HEADER_SIZE);
  c.release(entry);
  c.send(frame);
}

/**
 * Sends a chunk stream: content chunks as DATA, the `done` chunk as END, each as a whole frame from `codec`'s
 * hand-written encoders or else from its protobuf-es `encode`; waits while the socket is backed up.
 */
async function pump<T extends { done: boolean; model: string }>(
  c: StreamConnection,
  id: number,
  entry: StreamEntry,
  stream: AsyncIterable<T>,
  codec: ChunkCodec<T>,
  call: CallObserver,
): Promise<void> {
  let seq = 0;
  /** The model of the stream's previous DATA chunk (a compact DATA frame leaves an equal one out). */
  let model = "";
  /** The stream's batched DATA frame still open in the writer (sealed at the tick's write), if any. */
  let batch: DataBatch | undefined;
  /** Bytes the stream's previous batch took: the next one starts with room for about as many. */
  let lastBatch = 256;
  const ctx = entry.ctx;
  for await (const chunk of stream) {
    if (ctx.aborted) throw ctx.reason;
    if (c.isClosed) throw new ModelwireError("connection closed", Code.Unavailable);
    if (seq > 0 && c.batchData && !chunk.done && chunk.model === model) {
      // A later chunk joins the stream's open batch: written with the rest of this tick's frames, never held back.
      if (batch?.sealed) {
        lastBatch = batch.payloadBytes;
        batch = undefined;
      }
      batch ??= c.openBatch(id, batchRoom(lastBatch));
      let before = batch.payloadBytes;
      let ok = codec.batchEntry(batch, chunk);
      if (!ok && batch.full && batch.count > 0) {
        // At its bounds (bytes or MAX_BATCH_CHUNKS): the next batch starts here, after it.
        lastBatch = batch.payloadBytes;
        batch = c.openBatch(id, batchRoom(lastBatch));
        before = 0;
        ok = codec.batchEntry(batch, chunk);
      }
      if (ok) {
        // The header's bytes count with the first entry: a batch left empty is written as nothing.
        c.batched(batch.payloadBytes - before + (before === 0 ? BATCH_HEADER_SIZE : 0));
        seq++;
        call.chunk();
        if (c.congested) await c.waitForDrain();
        continue;
      }
    }
    // Any other frame of the stream goes after its open batch: that batch takes no more chunks.
    if (batch !== undefined) {
      batch.full = true;
      batch = undefined;
    }
    if (chunk.done) {
      const frame = codec.endFrame(id, seq, chunk);
      if (frame) endWith(c, entry, frame);
      else end(c, id, entry, codec.encode(chunk), seq);
      return;
    }
    // Only a stream's first chunk counts toward the writer's frame batch (later ones: its byte bound). Later
    // chunks with the previous chunk's model go as compact DATA when the feature is on.
    const compact = seq > 0 && c.compactData && chunk.model === model ? codec.compactFrame(id, chunk) : undefined;
    model = chunk.model;
    const frame = compact === undefined ? codec.dataFrame(id, seq, chunk) : undefined;
    if (compact) {
      checkSize(c, compact.length - COMPACT_HEADER_SIZE);
      c.send(compact, false);
      seq++;
    } else if (frame) {
      checkSize(c, frame.length - HEADER_SIZE);
      c.send(frame, seq === 0);
      seq++;
    } else {
      const payload = codec.encode(chunk);
      checkSize(c, payload.length);
      c.send(encodeFrame({ type: FrameType.Data, streamId: id, sequence: seq, payload }), seq === 0);
      seq++;
    }
    call.chunk();
    if (c.congested) await c.waitForDrain();
  }
  throw new ModelwireError("engine stream ended without a final chunk", Code.Internal);
}
