import type * as http2 from "node:http2";
import { Code as ConnectCode, ConnectError } from "@connectrpc/connect";
import { findTrailerError } from "@connectrpc/connect/protocol-grpc";
import {
  setTrailerStatus,
  trailerFlag,
  trailerParse,
  trailerSerialize,
  validateTrailer,
} from "@connectrpc/connect/protocol-grpc-web";
import type { ModelwireError } from "@modelwire/core";
import { fromConnectError } from "./errors.js";
import { flaggedEnvelope } from "./grpc-wire.js";

// gRPC-Web's trailer frame (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-WEB.md), for the fast paths. The
// trailer block is written and read by connect-es's own protocol-grpc-web functions (the version connect-node runs,
// pinned), so it equals connect-node's byte for byte; only the framing is ours.

/** The flag of gRPC-Web's trailer frame. */
export const GRPC_WEB_TRAILER_FLAG = trailerFlag;

/**
 * The trailer block `trailerSerialize(new Headers({ "grpc-status": "0" }))` writes (status-frames.test.ts pins it),
 * as bytes: a `Headers` at module load would load Node's bundled undici into every gateway start-up.
 */
const OK_BLOCK = Buffer.from("grpc-status: 0\r\n");

/** The trailer frame of a successful gRPC-Web call (`grpc-status: 0`). */
export const GRPC_WEB_TRAILER_OK: Buffer = flaggedEnvelope(trailerFlag, OK_BLOCK);

/** The trailer frame of a gRPC-Web call that failed with `error` (as connect-node writes it). */
export function grpcWebTrailerFrame(error: ConnectError): Buffer {
  return flaggedEnvelope(trailerFlag, trailerSerialize(setTrailerStatus(new Headers({ "grpc-status": "0" }), error)));
}

/**
 * The outcome of a gRPC-Web call from its trailer block, or — `block` undefined: no trailer frame came — from a
 * trailers-only response's headers: undefined for `grpc-status: 0`, else its error, read as connect-node's gRPC-Web
 * client reads it (a missing status is INTERNAL "protocol error: missing trailer").
 */
export function grpcWebStatusError(
  block: Uint8Array | undefined,
  head: http2.IncomingHttpHeaders | undefined,
): ModelwireError | undefined {
  if (block !== undefined && Buffer.compare(block, OK_BLOCK) === 0) return undefined;
  const headers = new Headers();
  for (const [k, v] of Object.entries(head ?? {})) {
    if (k[0] === ":" || v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) headers.append(k, x);
    else headers.append(k, String(v));
  }
  try {
    if (block !== undefined) validateTrailer(trailerParse(block), headers);
    else {
      const err = findTrailerError(headers);
      if (err) return fromConnectError(err);
      if (!headers.has("grpc-status")) throw new ConnectError("protocol error: missing trailer", ConnectCode.Internal);
    }
    return undefined;
  } catch (e) {
    return fromConnectError(e);
  }
}
