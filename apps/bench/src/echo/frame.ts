import type { Socket } from "node:net";
/**
 * The raw TCP echo floor's wire format: `[u32 length][u32 stream id][u8 type][payload]`, big-endian, where length
 * counts the bytes after itself. Deliberately minimal: it is the floor no real protocol can beat.
 */
export const FrameType = {
  /** Client → server: `[u32 JSON length][JSON {model, prompt, numPredict}][raw image bytes...]`. */
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

/** A decoded request frame's payload. */
export interface EchoRequest {
  model: string;
  prompt: string;
  numPredict?: number;
  /** Image bytes carried raw after the JSON header (their total length). */
  imageBytes: number;
}

/** Encodes a request payload: a JSON header, then image bytes raw (as a binary wire carries them). */
export function encodeRequest(
  model: string,
  prompt: string,
  numPredict: number | undefined,
  images?: readonly Uint8Array[],
): Buffer {
  const header = Buffer.from(
    JSON.stringify({ model, prompt, numPredict, images: (images ?? []).map((i) => i.length) }),
    "utf8",
  );
  const len = Buffer.allocUnsafe(4);
  len.writeUInt32BE(header.length, 0);
  return Buffer.concat([len, header, ...(images ?? [])]);
}

/** Decodes a request payload; throws RangeError on a malformed one. */
export function decodeRequest(payload: Buffer): EchoRequest {
  if (payload.length < 4) throw new RangeError("echo request too short");
  const n = payload.readUInt32BE(0);
  if (4 + n > payload.length) throw new RangeError("echo request header overruns the frame");
  const h = JSON.parse(payload.subarray(4, 4 + n).toString("utf8")) as {
    model?: unknown;
    prompt?: unknown;
    numPredict?: unknown;
    images?: unknown;
  };
  if (typeof h.model !== "string" || typeof h.prompt !== "string")
    throw new RangeError("echo request needs model and prompt");
  const imageBytes = payload.length - 4 - n;
  const req: EchoRequest = { model: h.model, prompt: h.prompt, imageBytes };
  if (typeof h.numPredict === "number") req.numPredict = h.numPredict;
  return req;
}

/**
 * Writes frames to a socket, corked for the rest of the current tick: every frame written in one tick leaves in one
 * `writev`, as the protocols under test coalesce theirs. Without it the floor pays one syscall per token and stops
 * being a floor.
 */
export function createTickWriter(socket: Socket, count?: (bytes: number) => void) {
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  return (b: Buffer): void => {
    count?.(b.length);
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    socket.write(b);
  };
}
