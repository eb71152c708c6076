import { type Code as ConnectCode, ConnectError } from "@connectrpc/connect";
import { Code, ErrorInfoSchema, isCode, ModelwireError } from "@modelwire/core";
import { errorInfo, metadataFromErrorInfos } from "./error-details.js";
import { resetCodeOf, resetStreamError } from "./h2-reset.js";

/** The errors made by {@link protocolError}. */
const protocolErrors = new WeakSet<ModelwireError>();

/**
 * An error of the protocol layer itself (a malformed deadline header, a bad envelope, a size limit, a missing
 * token), as connect-node raises it: {@link toConnectError} turns it into a plain ConnectError, without the
 * ErrorInfo detail the errors of the service carry, so the fast paths answer with the bytes connect-node sends.
 */
export function protocolError(message: string, code: Code): ModelwireError {
  const e = new ModelwireError(message, code);
  protocolErrors.add(e);
  return e;
}

/**
 * Turns anything a handler threw into the ConnectError connect-node serialises. A {@link ModelwireError} keeps its
 * code (the shared enum has the gRPC numbers, which are also Connect's) and its bare message; its metadata travels
 * in a google.rpc.ErrorInfo detail (`grpc-status-details-bin` on gRPC and gRPC-Web, `details` of a Connect error),
 * keys as set, so any client of the rich error model reads it.
 */
export function toConnectError(reason: unknown): ConnectError {
  if (reason instanceof ConnectError) return reason;
  const e = ModelwireError.from(reason, Code.Internal);
  if (protocolErrors.has(e))
    return new ConnectError(e.rawMessage, e.code as number as ConnectCode, undefined, undefined, e);
  const code = e.code === Code.Ok ? Code.Unknown : e.code;
  return new ConnectError(
    e.rawMessage,
    code as number as ConnectCode,
    undefined,
    [{ desc: ErrorInfoSchema, value: errorInfo(e, code) }],
    e,
  );
}

/**
 * Turns a ConnectError (or anything a Connect/gRPC call threw) into a {@link ModelwireError} with the same code.
 * The metadata of its ErrorInfo details (what {@link toConnectError} writes) comes back as the error's metadata.
 */
export function fromConnectError(reason: unknown): ModelwireError {
  if (reason instanceof ModelwireError) return reason;
  if (reason instanceof ConnectError) {
    const cause = reason.cause;
    if (cause instanceof ModelwireError && (cause.code as number) === (reason.code as number)) return cause;
    const metadata = metadataFromErrorInfos(reason.findDetails(ErrorInfoSchema)) ?? {};
    // connect-node reports a peer's RST_STREAM as INTERNAL whatever its code: map the code as gRPC's spec says.
    const rst = resetCodeOf(reason.cause);
    if (rst !== undefined) return resetStreamError(rst, false);
    const code =
      isCode(reason.code as number) && (reason.code as number) !== 0 ? (reason.code as number as Code) : Code.Unknown;
    return new ModelwireError(reason.rawMessage, code, metadata, reason);
  }
  return ModelwireError.from(reason);
}
