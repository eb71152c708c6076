import type { ModelwireError } from "@modelwire/core";
import { BATCH_DATA_MARKER, BATCH_HEADER_SIZE, checkBatchPayload, MAX_BATCH_CHUNKS } from "./batch.js";
import { COMPACT_DATA_MARKER, COMPACT_HEADER_SIZE } from "./compact.js";
import {
  DEFAULT_MAX_FRAME_SIZE,
  FrameType,
  HEADER_SIZE,
  MAGIC,
  MAX_MAX_FRAME_SIZE,
  MAX_STREAM_ID,
  PROTOCOL_VERSION,
} from "./constants.js";
import { ProtocolErrorReason, protocolError } from "./errors.js";
import { checkHeader, type Frame } from "./frame.js";

/** Options of {@link createFrameDecoder}. */
export interface FrameDecoderOptions {
  /** Largest payload accepted, in bytes; a longer frame fails with `FrameTooLarge`. Default 4 MiB. */
  maxFrameSize?: number;
}

/**
 * An incremental MCP frame decoder. Push bytes as they arrive (any chunking: partial headers, many frames per
 * chunk), then call {@link FrameDecoder.next} until it returns `undefined`.
 *
 * Memory is bounded: a frame whose header announces more than `maxFrameSize` bytes fails before any payload is
 * buffered, and after draining, the decoder holds at most one incomplete frame (≤ 20 + maxFrameSize bytes).
 * Payloads of frames that arrive whole in one pushed chunk are zero-copy `subarray` views of that chunk.
 *
 * Any violation throws a coded {@link ModelwireError} (see `ProtocolErrorReason`); the decoder is then failed
 * and rethrows that error on every later call, since the byte stream can no longer be trusted.
 */
export interface FrameDecoder {
  /** Appends received bytes. The chunk is referenced, not copied, until its frames have been returned. */
  push(chunk: Uint8Array): void;
  /** The next complete frame, or `undefined` when more bytes are needed. Throws a coded error on bad input. */
  next(): Frame | undefined;
  /** Drains every complete frame (same as calling `next()` until `undefined`). */
  [Symbol.iterator](): Iterator<Frame>;
  /**
   * Every byte pushed and not yet returned as part of a complete frame, including the 20 header bytes of a frame
   * whose header is parsed but whose payload is still incomplete. So `buffered === 0` at the end of the input
   * means it ended cleanly on a frame boundary; anything else is a truncated frame.
   */
  readonly buffered: number;
  /** The error the decoder failed with, if it failed. */
  readonly error: ModelwireError | undefined;
  /** The payload limit in force. */
  readonly maxFrameSize: number;
  /** Changes the payload limit (after the handshake negotiates one); applies to headers not yet parsed. */
  setMaxFrameSize(bytes: number): void;
  /**
   * From the next frame on, also reads compact DATA frames (docs/mcp-wire.md §4.8: a first byte of 0xDA instead of
   * the magic); they come out as DATA frames with `compact: true` and sequence 0 (the receiver knows the stream's
   * next sequence). A client calls it on the WELCOME that enabled `compact-data`; a server never does.
   */
  enableCompactData(): void;
  /** True once {@link FrameDecoder.enableCompactData} was called. */
  readonly compactData: boolean;
  /**
   * From the next frame on, also reads batched DATA frames (docs/mcp-wire.md §4.9: a first byte of 0xDB); each comes
   * out as one DATA frame with `batch` = its chunk count, sequence 0 (the stream's next ones) and its payload
   * checked to hold exactly that many entries. A client calls it on the WELCOME that enabled `batch-data`.
   */
  enableBatchData(): void;
  /** True once {@link FrameDecoder.enableBatchData} was called. */
  readonly batchData: boolean;
}

const EMPTY = new Uint8Array(0);
const ST_HEADER = 0;
const ST_PAYLOAD = 1;

class Decoder implements FrameDecoder {
  maxFrameSize: number;
  error: ModelwireError | undefined = undefined;
  private queue: Uint8Array[] = [];
  private qHead = 0;
  private pos = 0;
  private queued = 0;
  private state = ST_HEADER;
  private readonly hdr = new Uint8Array(HEADER_SIZE);
  private hdrFilled = 0;
  private pbuf: Uint8Array = EMPTY;
  private pfilled = 0;
  private pType = 0;
  private pFlags = 0;
  private pDataType = 0;
  private pStream = 0;
  private pSeq = 0;
  private pCompact = false;
  /** The chunk count of the batched DATA frame being read, else 0. */
  private pBatch = 0;
  /** Size of the header being read: 20, 7 for a compact DATA frame, 9 for a batched one. */
  private hdrSize = HEADER_SIZE;
  compactData = false;
  batchData = false;

  constructor(maxFrameSize: number) {
    this.maxFrameSize = checkLimit(maxFrameSize);
  }

  get buffered(): number {
    // In ST_PAYLOAD the header has left `queued` (it was parsed) but its frame is not returned yet.
    return this.queued + this.hdrFilled + (this.state === ST_PAYLOAD ? this.hdrSize + this.pfilled : 0);
  }

  enableCompactData(): void {
    this.compactData = true;
  }

  enableBatchData(): void {
    this.batchData = true;
  }

  /** The header size a frame starting with byte `b0` has: compact and batched forms only once enabled. */
  private sizeFor(b0: number): number {
    if (b0 === COMPACT_DATA_MARKER && this.compactData) return COMPACT_HEADER_SIZE;
    if (b0 === BATCH_DATA_MARKER && this.batchData) return BATCH_HEADER_SIZE;
    return HEADER_SIZE;
  }

  /** Parses the header of `size` bytes at `o` (see {@link sizeFor}); returns the payload length. */
  private parseAny(size: number, b: Uint8Array, o: number): number {
    return size === HEADER_SIZE
      ? this.parseHeader(b, o)
      : size === COMPACT_HEADER_SIZE
        ? this.parseCompactHeader(b, o)
        : this.parseBatchHeader(b, o);
  }

  setMaxFrameSize(bytes: number): void {
    this.maxFrameSize = checkLimit(bytes);
  }

  push(chunk: Uint8Array): void {
    if (this.error) throw this.error;
    if (chunk.length === 0) return;
    if (this.qHead === this.queue.length) {
      this.queue.length = 0;
      this.qHead = 0;
      this.pos = 0;
    }
    this.queue.push(chunk);
    this.queued += chunk.length;
  }

  [Symbol.iterator](): Iterator<Frame> {
    return {
      next: (): IteratorResult<Frame> => {
        const f = this.next();
        return f === undefined ? { done: true, value: undefined } : { done: false, value: f };
      },
    };
  }

  next(): Frame | undefined {
    if (this.error) throw this.error;
    for (;;) {
      if (this.state === ST_PAYLOAD) return this.fillPayload();
      if (this.qHead === this.queue.length) return undefined;
      const chunk = this.queue[this.qHead];
      const pos = this.pos;
      const avail = chunk.length - pos;
      if (this.hdrFilled === 0) {
        const b0 = chunk[pos];
        const size = b0 === 0x4d ? HEADER_SIZE : this.sizeFor(b0);
        this.hdrSize = size;
        if (avail >= size) {
          // Fast path: the whole header is in the current chunk.
          const len = size === HEADER_SIZE ? this.parseHeader(chunk, pos) : this.parseAny(size, chunk, pos);
          const end = pos + size + len;
          if (end <= chunk.length) {
            this.advance(chunk, size + len);
            return this.emit(len === 0 ? EMPTY : chunk.subarray(pos + size, end));
          }
          this.advance(chunk, size);
          this.startPayload(len);
          continue;
        }
      }
      // Slow path: assemble the header from pieces.
      const size = this.hdrSize;
      const take = Math.min(size - this.hdrFilled, avail);
      this.hdr.set(chunk.subarray(pos, pos + take), this.hdrFilled);
      this.hdrFilled += take;
      this.advance(chunk, take);
      if (this.hdrFilled < size) continue;
      this.hdrFilled = 0;
      const len = this.parseAny(size, this.hdr, 0);
      if (len === 0) return this.emit(EMPTY);
      this.startPayload(len);
    }
  }

  private startPayload(len: number): void {
    this.pbuf = new Uint8Array(len);
    this.pfilled = 0;
    this.state = ST_PAYLOAD;
  }

  private fillPayload(): Frame | undefined {
    const need = this.pbuf.length;
    while (this.pfilled < need) {
      if (this.qHead === this.queue.length) return undefined;
      const chunk = this.queue[this.qHead];
      const take = Math.min(need - this.pfilled, chunk.length - this.pos);
      this.pbuf.set(chunk.subarray(this.pos, this.pos + take), this.pfilled);
      this.pfilled += take;
      this.advance(chunk, take);
    }
    const payload = this.pbuf;
    this.pbuf = EMPTY;
    this.pfilled = 0;
    this.state = ST_HEADER;
    return this.emit(payload);
  }

  private emit(payload: Uint8Array): Frame {
    if (this.pBatch !== 0) {
      const err = checkBatchPayload(payload, this.pBatch);
      if (err) this.fail(err);
    }
    const f: Frame = {
      type: this.pType,
      flags: this.pFlags,
      dataType: this.pDataType,
      streamId: this.pStream,
      sequence: this.pSeq,
      payload,
    };
    if (this.pCompact) f.compact = true;
    if (this.pBatch !== 0) f.batch = this.pBatch;
    return f;
  }

  private advance(chunk: Uint8Array, n: number): void {
    this.pos += n;
    this.queued -= n;
    if (this.pos >= chunk.length) {
      this.queue[this.qHead] = EMPTY; // drop the reference early
      this.qHead++;
      this.pos = 0;
    }
  }

  /** Parses and validates the header at `o`; stores its fields and returns the payload length. */
  private parseHeader(b: Uint8Array, o: number): number {
    const magic = (b[o] << 8) | b[o + 1];
    if (magic !== MAGIC) {
      this.fail(
        protocolError(
          ProtocolErrorReason.BadMagic,
          `bad magic 0x${magic.toString(16).padStart(4, "0")}, expected 0x4d43`,
          {
            magic,
          },
        ),
      );
    }
    const version = b[o + 2];
    if (version !== PROTOCOL_VERSION) {
      this.fail(
        protocolError(ProtocolErrorReason.UnsupportedVersion, `unsupported frame version ${version}`, { version }),
      );
    }
    const type = b[o + 3];
    const flags = b[o + 4];
    const dataType = b[o + 5];
    const reserved = (b[o + 6] << 8) | b[o + 7];
    const streamId = b[o + 8] * 0x1000000 + ((b[o + 9] << 16) | (b[o + 10] << 8) | b[o + 11]);
    const sequence = b[o + 12] * 0x1000000 + ((b[o + 13] << 16) | (b[o + 14] << 8) | b[o + 15]);
    const length = b[o + 16] * 0x1000000 + ((b[o + 17] << 16) | (b[o + 18] << 8) | b[o + 19]);
    const err = checkHeader(type, flags, dataType, reserved, streamId, sequence, length, this.maxFrameSize);
    if (err) this.fail(err);
    this.pType = type;
    this.pFlags = flags;
    this.pDataType = dataType;
    this.pStream = streamId;
    this.pSeq = sequence;
    this.pCompact = false;
    this.pBatch = 0;
    return length;
  }

  /**
   * Parses and validates a compact DATA header at `o` (marker, u32 stream id, u16 length; §4.8), in the order
   * stream-id top bit, stream id 0, length vs limit; stores its fields and returns the payload length.
   */
  private parseCompactHeader(b: Uint8Array, o: number): number {
    const streamId = b[o + 1] * 0x1000000 + ((b[o + 2] << 16) | (b[o + 3] << 8) | b[o + 4]);
    const length = (b[o + 5] << 8) | b[o + 6];
    this.checkShortHeader(streamId, length);
    this.pType = FrameType.Data;
    this.pFlags = 0;
    this.pDataType = 0;
    this.pStream = streamId;
    this.pSeq = 0;
    this.pCompact = true;
    this.pBatch = 0;
    return length;
  }

  /** The checks a compact or batched DATA header shares: stream-id top bit, stream 0, length vs the limit. */
  private checkShortHeader(streamId: number, length: number): void {
    if (streamId > MAX_STREAM_ID) {
      this.fail(
        protocolError(ProtocolErrorReason.ReservedBits, "stream id has its reserved top bit set", { streamId }),
      );
    }
    if (streamId === 0) {
      this.fail(
        protocolError(ProtocolErrorReason.BadStreamId, "compact or batched DATA on stream 0", { type: FrameType.Data }),
      );
    }
    if (length > this.maxFrameSize) {
      this.fail(
        protocolError(
          ProtocolErrorReason.FrameTooLarge,
          `frame payload of ${length} bytes exceeds the limit of ${this.maxFrameSize}`,
          { length, limit: this.maxFrameSize },
        ),
      );
    }
  }

  /**
   * Parses and validates a batched DATA header at `o` (marker, u32 stream id, u16 count, u16 length; §4.9), in the
   * order stream-id top bit, stream id 0, length vs limit, count in 1..256, length at least count; stores its
   * fields and returns the payload length.
   */
  private parseBatchHeader(b: Uint8Array, o: number): number {
    const streamId = b[o + 1] * 0x1000000 + ((b[o + 2] << 16) | (b[o + 3] << 8) | b[o + 4]);
    const count = (b[o + 5] << 8) | b[o + 6];
    const length = (b[o + 7] << 8) | b[o + 8];
    this.checkShortHeader(streamId, length);
    if (count === 0 || count > MAX_BATCH_CHUNKS) {
      this.fail(
        protocolError(
          ProtocolErrorReason.BadPayload,
          `batched DATA of ${count} chunks, outside 1..${MAX_BATCH_CHUNKS}`,
          {
            count,
          },
        ),
      );
    }
    if (length < count) {
      this.fail(
        protocolError(ProtocolErrorReason.BadPayload, `batched DATA of ${count} chunks in ${length} bytes`, {
          count,
          length,
        }),
      );
    }
    this.pType = FrameType.Data;
    this.pFlags = 0;
    this.pDataType = 0;
    this.pStream = streamId;
    this.pSeq = 0;
    this.pCompact = false;
    this.pBatch = count;
    return length;
  }

  private fail(err: ModelwireError): never {
    this.error = err;
    this.queue = [];
    this.qHead = 0;
    this.pos = 0;
    this.queued = 0;
    this.hdrFilled = 0;
    this.hdrSize = HEADER_SIZE;
    this.pbuf = EMPTY;
    this.pfilled = 0;
    this.state = ST_HEADER;
    throw err;
  }
}

function checkLimit(bytes: number): number {
  if (!Number.isInteger(bytes) || bytes < 0 || bytes > MAX_MAX_FRAME_SIZE) {
    throw protocolError(
      ProtocolErrorReason.BadPayload,
      `maxFrameSize must be an integer in [0, ${MAX_MAX_FRAME_SIZE}]`,
      {
        field: "maxFrameSize",
        value: bytes,
      },
    );
  }
  return bytes;
}

/** Creates an incremental {@link FrameDecoder}. */
export function createFrameDecoder(options: FrameDecoderOptions = {}): FrameDecoder {
  return new Decoder(options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE);
}
