import { type Code as ConnectCode, ConnectError } from "@connectrpc/connect";
import { Code, isCode, ModelwireError } from "@modelwire/core";
import { resetCodeOf, resetStreamError } from "./h2-reset.js";

/**
 * Turns anything a handler threw into the ConnectError connect-node serialises. A {@link ModelwireError} keeps its
 * code (the shared enum has the gRPC numbers, which are also Connect's) and its bare message; its metadata travels
 * as `mw-meta-<key>` response metadata, so the peer can rebuild it.
 */
export function toConnectError(reason: unknown): ConnectError {
  if (reason instanceof ConnectError) return reason;
  const e = ModelwireError.from(reason, Code.Internal);
  const code = e.code === Code.Ok ? Code.Unknown : e.code;
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(e.metadata)) {
    const key = `mw-meta-${k.toLowerCase().replace(/[^a-z0-9-]/g, "-")}`;
    metadata[key] = encodeURIComponent(v);
  }
  return new ConnectError(e.rawMessage, code as number as ConnectCode, metadata, undefined, e);
}

/**
 * Turns a ConnectError (or anything a Connect/gRPC call threw) into a {@link ModelwireError} with the same code.
 * `mw-meta-*` metadata written by {@link toConnectError} comes back as the error's metadata.
 */
export function fromConnectError(reason: unknown): ModelwireError {
  if (reason instanceof ModelwireError) return reason;
  if (reason instanceof ConnectError) {
    const cause = reason.cause;
    if (cause instanceof ModelwireError && (cause.code as number) === (reason.code as number)) return cause;
    const metadata: Record<string, string> = {};
    reason.metadata.forEach((value, key) => {
      if (key.startsWith("mw-meta-")) {
        try {
          metadata[key.slice(8)] = decodeURIComponent(value);
        } catch {
          metadata[key.slice(8)] = value;
        }
      }
    });
    // connect-node reports a peer's RST_STREAM as INTERNAL whatever its code: map the code as gRPC's spec says.
    const rst = resetCodeOf(reason.cause);
    if (rst !== undefined) return resetStreamError(rst, false);
    const code =
      isCode(reason.code as number) && (reason.code as number) !== 0 ? (reason.code as number as Code) : Code.Unknown;
    return new ModelwireError(reason.rawMessage, code, metadata, reason);
  }
  return ModelwireError.from(reason);
}
