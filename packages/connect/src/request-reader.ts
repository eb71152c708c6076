import { Code } from "@modelwire/core";

/** A coded failure of a request body, with connect-node's code and message for the same bytes. */
export interface RequestError {
  code: Code;
  message: string;
}

/**
 * Reads the one request message of a unary or server-streaming call from its enveloped body as it arrives, with
 * the checks connect-node 2.1.1 makes, in its order and with its codes and messages (its envelope decoder, then
 * the decompression step, then "exactly one input message"):
 *
 * - an envelope whose prefix announces more than `readMaxBytes` → RESOURCE_EXHAUSTED, from the prefix alone, and
 *   before any envelope completed by the same chunk is looked at (connect-node splits a whole chunk first);
 * - a complete envelope with the compressed flag (bit 0) → INTERNAL (no `grpc-encoding` was negotiated);
 * - an envelope with `skipFlag` set (the Connect end-stream or gRPC-Web trailer flag, which connect-node skips in
 *   a request) is ignored; any other flags are a message;
 * - the first message goes to `accept` at once (it decodes it; its error ends the call, as connect-node parses the
 *   first message before it looks for a second);
 * - a second message is decoded too (connect-node parses each message before it counts them): its decode error,
 *   else UNIMPLEMENTED "received extra input message";
 * - at the end: buffered bytes that do not form an envelope → INVALID_ARGUMENT "incomplete envelope" (like
 *   connect-node's decoder, a lone prefix whose payload never came is not counted), else no message at all →
 *   UNIMPLEMENTED "missing input message".
 *
 * Bytes are held only up to one envelope. Skipped frames may add up to `readMaxBytes` (plus their prefixes); more
 * is refused with RESOURCE_EXHAUSTED (connect-node would read them for ever).
 */
export interface RequestReader {
  /** Feeds a chunk. Returns the error that ends the call, or undefined; after an error it must not be fed again. */
  push(chunk: Buffer): RequestError | undefined;
  /** The body ended: the error, or undefined when exactly one message came (and was accepted). */
  end(): RequestError | undefined;
}

/** Creates a {@link RequestReader}; `method` names the method kind in messages ("unary", "server-streaming"). */
export function createRequestReader(
  readMaxBytes: number,
  method: "unary" | "server-streaming",
  skipFlag: number | undefined,
  accept: (message: Uint8Array) => RequestError | undefined,
): RequestReader {
  let parts: Buffer[] = [];
  let held = 0;
  let skipped = 0;
  /** Flags and payload length of the envelope being assembled, once its prefix has been read; need -1 before. */
  let flags = 0;
  let need = -1;
  let messages = 0;

  const take = (n: number): Buffer => {
    if (parts[0].length < n) parts = [Buffer.concat(parts, held)];
    const first = parts[0];
    const out = first.subarray(0, n);
    if (first.length === n) parts.shift();
    else parts[0] = first.subarray(n);
    held -= n;
    return out;
  };

  return {
    push(chunk) {
      if (chunk.length === 0) return undefined;
      parts.push(chunk);
      held += chunk.length;
      // As connect-node's envelope decoder: a chunk is split into all the envelopes it completes (a prefix over the
      // limit fails the chunk) before any of them is looked at.
      const envelopes: { flags: number; payload: Buffer }[] = [];
      for (;;) {
        if (need < 0) {
          if (held < 5) break;
          const head = take(5);
          flags = head[0];
          need = head.readUInt32BE(1);
          if (need > readMaxBytes) {
            return {
              code: Code.ResourceExhausted,
              message: `message size ${need} is larger than configured readMaxBytes ${readMaxBytes}`,
            };
          }
        }
        if (held < need) break;
        envelopes.push({ flags, payload: need === 0 ? EMPTY : take(need) });
        need = -1;
      }
      for (const { flags, payload } of envelopes) {
        if ((flags & 1) === 1) {
          return { code: Code.Internal, message: "received compressed envelope, but do not know how to decompress" };
        }
        if (skipFlag !== undefined && (flags & skipFlag) === skipFlag) {
          skipped += 5 + payload.length;
          if (skipped > readMaxBytes + 5) {
            return {
              code: Code.ResourceExhausted,
              message: `message size is larger than configured readMaxBytes ${readMaxBytes}`,
            };
          }
          continue;
        }
        if (messages++ > 0) {
          return (
            accept(payload) ?? {
              code: Code.Unimplemented,
              message: `protocol error: received extra input message for ${method} method`,
            }
          );
        }
        const refused = accept(payload);
        if (refused) return refused;
      }
      return undefined;
    },
    end() {
      if (held > 0) return { code: Code.InvalidArgument, message: "protocol error: incomplete envelope" };
      if (messages === 0) {
        return { code: Code.Unimplemented, message: `protocol error: missing input message for ${method} method` };
      }
      return undefined;
    },
  };
}

const EMPTY = Buffer.alloc(0);
