import { Code, ModelwireError } from "@modelwire/core";

/** HTTP/2 error code names by number (RFC 9113 §7). */
const H2_ERROR_NAMES = [
  "NO_ERROR",
  "PROTOCOL_ERROR",
  "INTERNAL_ERROR",
  "FLOW_CONTROL_ERROR",
  "SETTINGS_TIMEOUT",
  "STREAM_CLOSED",
  "FRAME_SIZE_ERROR",
  "REFUSED_STREAM",
  "CANCEL",
  "COMPRESSION_ERROR",
  "CONNECT_ERROR",
  "ENHANCE_YOUR_CALM",
  "INADEQUATE_SECURITY",
  "HTTP_1_1_REQUIRED",
] as const;

const REFUSED_STREAM = 7;
const CANCEL = 8;
const ENHANCE_YOUR_CALM = 11;
const INADEQUATE_SECURITY = 12;

/** The name of an HTTP/2 error code (`PROTOCOL_ERROR`), or `0x..` for one RFC 9113 does not define. */
export function h2ErrorName(code: number): string {
  return H2_ERROR_NAMES[code] ?? `0x${code.toString(16)}`;
}

/**
 * The gRPC status of a call whose HTTP/2 stream closed before a `grpc-status` arrived, from the stream's
 * RST_STREAM code, as gRPC's PROTOCOL-HTTP2 spec ("Errors") maps them:
 *
 * - REFUSED_STREAM → UNAVAILABLE: nothing was processed, the call may be retried;
 * - CANCEL → CANCELLED, or DEADLINE_EXCEEDED once the call's `deadline` (epoch ms) has passed;
 * - ENHANCE_YOUR_CALM → RESOURCE_EXHAUSTED; INADEQUATE_SECURITY → PERMISSION_DENIED;
 * - every other code → INTERNAL: NO_ERROR before the trailers (an explicit OK should have been sent),
 *   PROTOCOL_ERROR, INTERNAL_ERROR, FLOW_CONTROL_ERROR, SETTINGS_TIMEOUT, FRAME_SIZE_ERROR, COMPRESSION_ERROR,
 *   CONNECT_ERROR, and those the spec leaves unmapped (STREAM_CLOSED, HTTP_1_1_REQUIRED).
 *
 * A stream closed because its connection failed (`connectionLost`) is UNAVAILABLE whatever its code: the spec
 * closes every call of a failed connection with UNAVAILABLE on the client.
 */
export function resetStreamError(rstCode: number, connectionLost: boolean, deadline?: number): ModelwireError {
  const name = h2ErrorName(rstCode);
  if (connectionLost) return new ModelwireError(`connection lost (stream closed with ${name})`, Code.Unavailable);
  switch (rstCode) {
    case REFUSED_STREAM:
      return new ModelwireError(`stream refused by the server (${name})`, Code.Unavailable);
    case CANCEL:
      return deadline !== undefined && Date.now() >= deadline
        ? new ModelwireError("the operation timed out", Code.DeadlineExceeded)
        : new ModelwireError(`stream canceled by the server (${name})`, Code.Canceled);
    case ENHANCE_YOUR_CALM:
      return new ModelwireError(`stream reset by the server (${name}): too many requests`, Code.ResourceExhausted);
    case INADEQUATE_SECURITY:
      return new ModelwireError(`stream reset by the server (${name})`, Code.PermissionDenied);
    default:
      return new ModelwireError(
        rstCode === 0
          ? "protocol error: stream closed (NO_ERROR) before the trailers"
          : `stream reset by the server (${name})`,
        Code.Internal,
      );
  }
}

/**
 * The RST_STREAM code behind Node's `ERR_HTTP2_STREAM_ERROR` ("Stream closed with error code NGHTTP2_<NAME>")
 * anywhere in `reason`'s cause chain, or undefined when there is none.
 */
export function resetCodeOf(reason: unknown): number | undefined {
  for (let e = reason, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if ((e as { code?: unknown }).code !== "ERR_HTTP2_STREAM_ERROR") continue;
    const m = /NGHTTP2_([A-Z0-9_]+)/.exec(e.message);
    const code = m ? H2_ERROR_NAMES.indexOf(m[1] as (typeof H2_ERROR_NAMES)[number]) : -1;
    return code >= 0 ? code : undefined;
  }
  return undefined;
}
