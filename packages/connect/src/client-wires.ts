import type * as http2 from "node:http2";
import { ConnectError } from "@connectrpc/connect";
import { codeFromHttpStatus } from "@connectrpc/connect/protocol-grpc";
import { Code, ModelwireError } from "@modelwire/core";
import {
  CONNECT_END_FLAG,
  connectEndStreamError,
  connectHttpError,
  connectTimeoutValue,
  connectUnaryResponseError,
} from "./connect-wire.js";
import { fromConnectError } from "./errors.js";
import type { StreamEnd } from "./fast-client-common.js";
import { responseStatusError } from "./fast-client-common.js";
import { GRPC_WEB_TRAILER_FLAG, grpcWebStatusError } from "./grpc-web-wire.js";
import { grpcTimeout } from "./grpc-wire.js";
import { resetStreamError } from "./h2-reset.js";

/**
 * One wire protocol the client's fast paths speak over HTTP/2 — gRPC, gRPC-Web, the Connect protocol — reduced to
 * what differs between them: the request's content type, framing and protocol headers (the deadline header among
 * them), the flag of the response's final frame, and how the outcome of a finished response is read.
 */
export interface ClientWire {
  readonly protocol: "grpc" | "grpc-web" | "connect";
  /** The request content type of a unary (`stream` false) or server-streaming call. */
  contentType(stream: boolean): string;
  /** True when the request body is one enveloped message; false when it is the bare message (Connect unary). */
  enveloped(stream: boolean): boolean;
  /** The flag of the response's final frame (gRPC-Web trailer, Connect end-stream); none for gRPC. */
  readonly endFlag: number | undefined;
  /** Adds the protocol's request headers (`te`, `x-grpc-web`, `connect-protocol-version`) and the deadline's. */
  protocolHeaders(headers: http2.OutgoingHttpHeaders, timeoutMs: number | undefined): void;
  /**
   * The outcome of a finished response: undefined for success, else its error. `endFrame` is the final frame's
   * payload when one came; `body` is the whole body of a bare (Connect unary) response.
   */
  status(
    end: StreamEnd,
    endFrame: Uint8Array | undefined,
    stream: boolean,
    body: Uint8Array,
  ): ModelwireError | undefined;
}

/** gRPC: `te: trailers`, `grpc-timeout`, the status in HTTP/2 trailers (or a trailers-only response). */
export const GRPC_CLIENT_WIRE: ClientWire = {
  protocol: "grpc",
  contentType: () => "application/grpc+proto",
  enveloped: () => true,
  endFlag: undefined,
  protocolHeaders(headers, timeoutMs) {
    headers.te = "trailers";
    if (timeoutMs !== undefined) headers["grpc-timeout"] = grpcTimeout(timeoutMs);
  },
  status: (end) => responseStatusError(end),
};

/** The error of a stream that ended without its final frame: a reset when it was one, else `missing`. */
function withoutEnd(end: StreamEnd, missing: () => ModelwireError): ModelwireError {
  if (end.rstCode || end.connectionLost) return resetStreamError(end.rstCode, end.connectionLost, end.deadline);
  return missing();
}

/** gRPC-Web over HTTP/2: `x-grpc-web: 1`, `grpc-timeout`, the status in a trailer frame (flag 0x80). */
export const GRPC_WEB_CLIENT_WIRE: ClientWire = {
  protocol: "grpc-web",
  contentType: () => "application/grpc-web+proto",
  enveloped: () => true,
  endFlag: GRPC_WEB_TRAILER_FLAG,
  protocolHeaders(headers, timeoutMs) {
    headers["x-grpc-web"] = "1";
    if (timeoutMs !== undefined) headers["grpc-timeout"] = grpcTimeout(timeoutMs);
  },
  status(end, endFrame) {
    const { status, head } = end;
    if (status === undefined) return resetStreamError(end.rstCode, end.connectionLost, end.deadline);
    // As connect-es's gRPC-Web client: any 2xx is a gRPC-Web response; other statuses map through gRPC's table.
    if (status < 200 || status >= 300) {
      let message = String(head?.["grpc-message"] ?? `HTTP ${status}`);
      try {
        message = decodeURIComponent(message);
      } catch {}
      return fromConnectError(new ConnectError(message, codeFromHttpStatus(status)));
    }
    if (endFrame === undefined && head?.["grpc-status"] === undefined) {
      return withoutEnd(end, () => new ModelwireError("protocol error: missing trailer", Code.Internal));
    }
    return grpcWebStatusError(endFrame, head);
  },
};

/**
 * The Connect protocol over HTTP/2: `connect-protocol-version: 1`, `connect-timeout-ms`; a stream ends with an
 * end-stream frame (flag 0x02), a unary call with its HTTP status (an error is a JSON body).
 */
export const CONNECT_CLIENT_WIRE: ClientWire = {
  protocol: "connect",
  contentType: (stream) => (stream ? "application/connect+proto" : "application/proto"),
  enveloped: (stream) => stream,
  endFlag: CONNECT_END_FLAG,
  protocolHeaders(headers, timeoutMs) {
    headers["connect-protocol-version"] = "1";
    if (timeoutMs !== undefined) headers["connect-timeout-ms"] = connectTimeoutValue(timeoutMs);
  },
  status(end, endFrame, stream, body) {
    const { status, head } = end;
    if (status === undefined) return resetStreamError(end.rstCode, end.connectionLost, end.deadline);
    if (!stream) {
      if (status !== 200) return connectUnaryResponseError(status, head ?? {}, body);
      if (end.rstCode || end.connectionLost) return resetStreamError(end.rstCode, end.connectionLost, end.deadline);
      return undefined;
    }
    if (status !== 200) return connectHttpError(status);
    if (endFrame === undefined) {
      return withoutEnd(
        end,
        () => new ModelwireError("protocol error: missing EndStreamResponse", Code.InvalidArgument),
      );
    }
    return connectEndStreamError(endFrame);
  },
};

/** The client wire of a protocol. */
export function clientWireFor(protocol: "grpc" | "grpc-web" | "connect"): ClientWire {
  return protocol === "grpc" ? GRPC_CLIENT_WIRE : protocol === "grpc-web" ? GRPC_WEB_CLIENT_WIRE : CONNECT_CLIENT_WIRE;
}
