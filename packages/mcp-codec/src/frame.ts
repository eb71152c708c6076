import type { ModelwireError } from "@modelwire/core";
import {
  FrameFlag,
  FrameType,
  HEADER_SIZE,
  MAX_DATA_TYPE,
  MAX_FRAME_TYPE,
  MAX_STREAM_ID,
  PING_PAYLOAD_SIZE,
  PROTOCOL_VERSION,
} from "./constants.js";
import { ProtocolErrorReason, protocolError } from "./errors.js";

/**
 * One MCP frame: the header's variable fields and the payload. A decoded frame's payload is a zero-copy view
 * (`subarray`) into the bytes that were pushed whenever the frame arrived whole in one chunk.
 */
export interface Frame {
  /** The frame type. */
  type: FrameType;
  /** Flag bits ({@link FrameFlag}); 0 unless the type defines a flag. */
  flags: number;
  /** A `modelwire.v1.DataType` value; non-zero only on OPEN frames. */
  dataType: number;
  /** 0 for connection frames, otherwise the stream (request) id, 1 ≤ id ≤ 2³¹−1. */
  streamId: number;
  /** Per-stream sequence number on DATA and END frames (first DATA is 0, END carries the count); otherwise 0. */
  sequence: number;
  /** The payload bytes. */
  payload: Uint8Array;
  /**
   * Set (true) on a compact DATA frame (docs/mcp-wire.md §4.8, decoded once `enableCompactData` was called): its
   * `sequence` is 0 here and means the stream's next one; its payload may leave `model` out. Absent otherwise.
   */
  compact?: boolean;
  /**
   * On a batched DATA frame (docs/mcp-wire.md §4.9, decoded once `enableBatchData` was called): the number of chunks
   * its payload holds (1..256; the payload was checked to be exactly that many entries). Its `sequence` is 0 here:
   * the entries take the stream's next sequences. Absent otherwise.
   */
  batch?: number;
}

/** What {@link encodeFrame} takes: a {@link Frame} whose `flags`, `dataType` and `sequence` default to 0. */
export interface FrameInit {
  /** See {@link Frame.type}. */
  type: FrameType;
  /** See {@link Frame.flags}. */
  flags?: number;
  /** See {@link Frame.dataType}. */
  dataType?: number;
  /** See {@link Frame.streamId}. */
  streamId: number;
  /** See {@link Frame.sequence}. */
  sequence?: number;
  /** See {@link Frame.payload}; empty when omitted. */
  payload?: Uint8Array;
}

const EMPTY = new Uint8Array(0);

/** Bytes a frame with a payload of `payloadLength` bytes occupies on the wire. */
export function frameSize(payloadLength: number): number {
  return HEADER_SIZE + payloadLength;
}

/**
 * Writes a frame (header and payload) into `target` at `offset` and returns the offset just past it. The caller
 * provides room for {@link frameSize}(payload.length) bytes. No validation: encode only frames you built.
 */
export function writeFrame(target: Uint8Array, offset: number, frame: FrameInit): number {
  const payload = frame.payload ?? EMPTY;
  writeHeader(
    target,
    offset,
    frame.type,
    frame.flags ?? 0,
    frame.dataType ?? 0,
    frame.streamId,
    frame.sequence ?? 0,
    payload.length,
  );
  target.set(payload, offset + HEADER_SIZE);
  return offset + HEADER_SIZE + payload.length;
}

/**
 * Writes just a 20-byte header at `offset` (for callers that place the payload themselves, e.g. serializing a
 * message straight after it). Fields are written big-endian; nothing is validated.
 */
export function writeHeader(
  b: Uint8Array,
  o: number,
  type: number,
  flags: number,
  dataType: number,
  streamId: number,
  sequence: number,
  length: number,
): void {
  b[o] = 0x4d;
  b[o + 1] = 0x43;
  b[o + 2] = PROTOCOL_VERSION;
  b[o + 3] = type;
  b[o + 4] = flags;
  b[o + 5] = dataType;
  b[o + 6] = 0;
  b[o + 7] = 0;
  b[o + 8] = streamId >>> 24;
  b[o + 9] = streamId >>> 16;
  b[o + 10] = streamId >>> 8;
  b[o + 11] = streamId;
  b[o + 12] = sequence >>> 24;
  b[o + 13] = sequence >>> 16;
  b[o + 14] = sequence >>> 8;
  b[o + 15] = sequence;
  b[o + 16] = length >>> 24;
  b[o + 17] = length >>> 16;
  b[o + 18] = length >>> 8;
  b[o + 19] = length;
}

/** Encodes one frame into a new buffer of exactly {@link frameSize}(payload length) bytes. */
export function encodeFrame(frame: FrameInit): Uint8Array {
  const payload = frame.payload ?? EMPTY;
  const out = new Uint8Array(HEADER_SIZE + payload.length);
  writeHeader(
    out,
    0,
    frame.type,
    frame.flags ?? 0,
    frame.dataType ?? 0,
    frame.streamId,
    frame.sequence ?? 0,
    payload.length,
  );
  out.set(payload, HEADER_SIZE);
  return out;
}

/** Encodes several frames into one buffer, back to back (one allocation; handy for coalesced writes). */
export function encodeFrames(frames: readonly FrameInit[]): Uint8Array {
  let total = 0;
  for (const f of frames) total += HEADER_SIZE + (f.payload?.length ?? 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const f of frames) o = writeFrame(out, o, f);
  return out;
}

/** Minimum payload length of each frame type (the fixed part of its payload). */
function minPayload(type: FrameType): number {
  switch (type) {
    case FrameType.Hello:
      return 16;
    case FrameType.Welcome:
      return 32;
    case FrameType.Open:
      return 8;
    case FrameType.Error:
      return 4;
    case FrameType.Ping:
      return PING_PAYLOAD_SIZE;
    case FrameType.Goaway:
      return 8;
    default:
      return 0;
  }
}

/** True for frame types that belong to the connection (stream id must be 0). */
export function isConnectionFrame(type: FrameType): boolean {
  return type === FrameType.Hello || type === FrameType.Welcome || type === FrameType.Ping || type === FrameType.Goaway;
}

/**
 * Validates a header's fields (everything except magic and version, which the decoder checks first). Returns a
 * coded error, or `undefined` when the header is valid. Used by the decoder on every frame and by tests.
 */
export function checkHeader(
  type: number,
  flags: number,
  dataType: number,
  reserved: number,
  streamId: number,
  sequence: number,
  length: number,
  maxFrameSize: number,
): ModelwireError | undefined {
  if (type < 1 || type > MAX_FRAME_TYPE) {
    return protocolError(ProtocolErrorReason.UnknownType, `unknown frame type 0x${hex2(type)}`, { type });
  }
  if (reserved !== 0) {
    return protocolError(ProtocolErrorReason.ReservedBits, `reserved header field is 0x${reserved.toString(16)}`, {
      type,
    });
  }
  const allowedFlags = type === FrameType.Ping ? FrameFlag.Ack : 0;
  if ((flags & ~allowedFlags) !== 0) {
    return protocolError(ProtocolErrorReason.ReservedBits, `reserved flag bits 0x${hex2(flags)} on type ${type}`, {
      type,
      flags,
    });
  }
  if (streamId > MAX_STREAM_ID) {
    return protocolError(ProtocolErrorReason.ReservedBits, "stream id has its reserved top bit set", { streamId });
  }
  if (isConnectionFrame(type)) {
    if (streamId !== 0) {
      return protocolError(ProtocolErrorReason.BadStreamId, `frame type ${type} must be on stream 0`, {
        type,
        streamId,
      });
    }
  } else if (streamId === 0 && type !== FrameType.Error) {
    return protocolError(ProtocolErrorReason.BadStreamId, `frame type ${type} must not be on stream 0`, { type });
  }
  if (type === FrameType.Open) {
    if (dataType > MAX_DATA_TYPE) {
      return protocolError(ProtocolErrorReason.BadDataType, `unknown data type ${dataType}`, { dataType });
    }
  } else if (dataType !== 0) {
    return protocolError(ProtocolErrorReason.BadDataType, `data type ${dataType} on a frame of type ${type}`, {
      type,
      dataType,
    });
  }
  if (sequence !== 0 && type !== FrameType.Data && type !== FrameType.End) {
    return protocolError(ProtocolErrorReason.ReservedBits, `sequence ${sequence} on a frame of type ${type}`, {
      type,
      sequence,
    });
  }
  if (length > maxFrameSize) {
    return protocolError(
      ProtocolErrorReason.FrameTooLarge,
      `frame payload of ${length} bytes exceeds the limit of ${maxFrameSize}`,
      { length, limit: maxFrameSize },
    );
  }
  const min = minPayload(type);
  if (
    length < min ||
    (type === FrameType.Ping && length !== PING_PAYLOAD_SIZE) ||
    (type === FrameType.Cancel && length !== 0)
  ) {
    return protocolError(
      ProtocolErrorReason.BadPayload,
      `payload of ${length} bytes is invalid for frame type ${type}`,
      {
        type,
        length,
      },
    );
  }
  return undefined;
}

/** Checks a frame you built against the same rules the decoder applies; returns the error or `undefined`. */
export function validateFrame(frame: FrameInit, maxFrameSize: number): ModelwireError | undefined {
  return checkHeader(
    frame.type,
    frame.flags ?? 0,
    frame.dataType ?? 0,
    0,
    frame.streamId,
    frame.sequence ?? 0,
    frame.payload?.length ?? 0,
    maxFrameSize,
  );
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, "0");
}
