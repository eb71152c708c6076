/**
 * The raw TCP echo floor's wire format: `[u32 length][u32 stream id][u8 type][payload]`, big-endian, where length
 * counts the bytes after itself. Deliberately minimal: it is the floor no real protocol can beat.
 */
export const FrameType = {
  /** Client → server: JSON `{model, prompt, numPredict}`. */
  Request: 1,
  /** Server → client: one token's UTF-8 text. */
  Token: 2,
  /** Server → client: the stream ended normally. */
  Done: 3,
  /** Server → client: JSON `{code, message}`. */
  Error: 4,
  /** Client → server: stop the stream. */
  Cancel: 5,
} as const;

/** Largest frame accepted (bytes after the length prefix). */
export const MAX_ECHO_FRAME = 1024 * 1024;
const HEADER = 9;

/** Encodes one frame. */
export function encodeFrame(streamId: number, type: number, payload: Uint8Array | string = ""): Buffer {
  const body = typeof payload === "string" ? Buffer.from(payload, "utf8") : payload;
  const out = Buffer.allocUnsafe(HEADER + body.length);
  out.writeUInt32BE(5 + body.length, 0);
  out.writeUInt32BE(streamId >>> 0, 4);
  out.writeUInt8(type, 8);
  out.set(body, HEADER);
  return out;
}

/** One decoded frame. */
export interface EchoFrame {
  streamId: number;
  type: number;
  payload: Buffer;
}

/** Incremental decoder: feed socket chunks, get whole frames. Throws RangeError on an oversized or short frame. */
export function createFrameDecoder(): (chunk: Buffer) => EchoFrame[] {
  let buf: Buffer = Buffer.alloc(0);
  return (chunk) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    const frames: EchoFrame[] = [];
    let off = 0;
    while (buf.length - off >= 4) {
      const len = buf.readUInt32BE(off);
      if (len < 5 || len > MAX_ECHO_FRAME) throw new RangeError(`echo frame length ${len} out of range`);
      if (buf.length - off < 4 + len) break;
      frames.push({
        streamId: buf.readUInt32BE(off + 4),
        type: buf.readUInt8(off + 8),
        payload: buf.subarray(off + HEADER, off + 4 + len),
      });
      off += 4 + len;
    }
    buf = off === buf.length ? Buffer.alloc(0) : buf.subarray(off);
    return frames;
  };
}
