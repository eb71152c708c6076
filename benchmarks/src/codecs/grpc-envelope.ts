/**
 * The gRPC length-prefixed message: one flag byte (bit 0 = compressed) and a 4-byte big-endian length before the
 * Protobuf binary payload, as on an HTTP/2 DATA stream and in the Connect streaming protocol.
 */
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { Code, ModelwireError } from "@modelwire/core";
import type { Codec, FrameReader, StreamCodec } from "./codec.js";
import { MAX_MESSAGE_BYTES, protobufBinaryCodec } from "./protobuf.js";

/** Bytes of the gRPC envelope header. */
export const ENVELOPE_HEADER_BYTES = 5;

/** Wraps a payload in a gRPC envelope (flag 0: uncompressed). */
export function encodeEnvelope(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(ENVELOPE_HEADER_BYTES + payload.length);
  const n = payload.length;
  out[1] = n >>> 24;
  out[2] = (n >>> 16) & 0xff;
  out[3] = (n >>> 8) & 0xff;
  out[4] = n & 0xff;
  out.set(payload, ENVELOPE_HEADER_BYTES);
  return out;
}

function headerLength(buf: Uint8Array, at: number, maxBytes: number): number {
  if (buf[at] !== 0)
    throw new ModelwireError(`unsupported gRPC envelope flags 0x${buf[at].toString(16)}`, Code.Unimplemented);
  const n = ((buf[at + 1] << 24) | (buf[at + 2] << 16) | (buf[at + 3] << 8) | buf[at + 4]) >>> 0;
  if (n > maxBytes)
    throw new ModelwireError(`gRPC message of ${n} bytes exceeds the ${maxBytes}-byte limit`, Code.ResourceExhausted);
  return n;
}

/** Reads exactly one envelope and returns its payload (a view, no copy). */
export function decodeEnvelope(buf: Uint8Array, maxBytes = MAX_MESSAGE_BYTES): Uint8Array {
  if (buf.length < ENVELOPE_HEADER_BYTES)
    throw new ModelwireError("truncated gRPC envelope header", Code.InvalidArgument);
  const n = headerLength(buf, 0, maxBytes);
  if (buf.length !== ENVELOPE_HEADER_BYTES + n) {
    throw new ModelwireError(
      `gRPC envelope says ${n} bytes, ${buf.length - ENVELOPE_HEADER_BYTES} follow`,
      Code.InvalidArgument,
    );
  }
  return buf.subarray(ENVELOPE_HEADER_BYTES);
}

/** An incremental envelope splitter: yields each payload once its bytes have arrived. */
export function createEnvelopeReader(maxBytes = MAX_MESSAGE_BYTES): FrameReader<Uint8Array> {
  let held: Uint8Array = new Uint8Array(0);
  return {
    get pending() {
      return held.length;
    },
    push(chunk) {
      let buf = chunk;
      if (held.length > 0) {
        buf = new Uint8Array(held.length + chunk.length);
        buf.set(held);
        buf.set(chunk, held.length);
      }
      const out: Uint8Array[] = [];
      let at = 0;
      while (buf.length - at >= ENVELOPE_HEADER_BYTES) {
        const n = headerLength(buf, at, maxBytes);
        if (buf.length - at - ENVELOPE_HEADER_BYTES < n) break;
        out.push(buf.subarray(at + ENVELOPE_HEADER_BYTES, at + ENVELOPE_HEADER_BYTES + n));
        at += ENVELOPE_HEADER_BYTES + n;
      }
      held = at === buf.length ? new Uint8Array(0) : buf.slice(at);
      return out;
    },
  };
}

/** Protobuf binary in one gRPC envelope. */
export function grpcCodec<Desc extends DescMessage>(
  schema: Desc,
): Codec<MessageShape<Desc>> & StreamCodec<MessageShape<Desc>> {
  const pb = protobufBinaryCodec(schema);
  const encode = (value: MessageShape<Desc>) => encodeEnvelope(pb.encode(value));
  return {
    encode,
    decode: (bytes) => pb.decode(decodeEnvelope(bytes)),
    encodeFrame: encode,
    createReader() {
      const reader = createEnvelopeReader();
      return {
        get pending() {
          return reader.pending;
        },
        push: (chunk) => reader.push(chunk).map((payload) => pb.decode(payload)),
      };
    },
  };
}
