import type { ModelwireError } from "@modelwire/core";
import { DEFAULT_MAX_FRAME_SIZE, HEADER_SIZE, MAGIC, MAX_MAX_FRAME_SIZE, PROTOCOL_VERSION } from "./constants.js";
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

  constructor(maxFrameSize: number) {
    this.maxFrameSize = checkLimit(maxFrameSize);
  }

  get buffered(): number {
    // In ST_PAYLOAD the header has left `queued` (it was parsed) but its frame is not returned yet.
    return this.queued + this.hdrFilled + (this.state === ST_PAYLOAD ? HEADER_SIZE + this.pfilled : 0);
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
      if (this.hdrFilled === 0 && avail >= HEADER_SIZE) {
        // Fast path: the whole header is in the current chunk.
        const len = this.parseHeader(chunk, pos);
        const end = pos + HEADER_SIZE + len;
        if (end <= chunk.length) {
          this.advance(chunk, HEADER_SIZE + len);
          return {
            type: this.pType,
            flags: this.pFlags,
            dataType: this.pDataType,
            streamId: this.pStream,
            sequence: this.pSeq,
            payload: len === 0 ? EMPTY : chunk.subarray(pos + HEADER_SIZE, end),
          };
        }
        this.advance(chunk, HEADER_SIZE);
        this.startPayload(len);
        continue;
      }
      // Slow path: assemble the header from pieces.
      const take = Math.min(HEADER_SIZE - this.hdrFilled, avail);
      this.hdr.set(chunk.subarray(pos, pos + take), this.hdrFilled);
      this.hdrFilled += take;
      this.advance(chunk, take);
      if (this.hdrFilled < HEADER_SIZE) continue;
      this.hdrFilled = 0;
      const len = this.parseHeader(this.hdr, 0);
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
    return {
      type: this.pType,
      flags: this.pFlags,
      dataType: this.pDataType,
      streamId: this.pStream,
      sequence: this.pSeq,
      payload,
    };
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
    return length;
  }

  private fail(err: ModelwireError): never {
    this.error = err;
    this.queue = [];
    this.qHead = 0;
    this.pos = 0;
    this.queued = 0;
    this.hdrFilled = 0;
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
