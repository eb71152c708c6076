import * as http2 from "node:http2";
import type { DescService } from "@bufbuild/protobuf";
import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";
import { Code } from "@modelwire/core";
import { encodeGrpcMessage } from "./grpc-wire.js";

/**
 * What connect-node calls for a path no route serves. A gRPC or gRPC-Web request (`application/grpc*`) gets what
 * gRPC's HTTP/2 protocol asks: HTTP 200 and `grpc-status: 12` (UNIMPLEMENTED) naming the unknown service or
 * method, as a trailers-only response; anything else keeps connect-node's plain 404 (what the Connect protocol
 * reads as `unimplemented`).
 */
export function createGrpcFallback(
  services: readonly DescService[],
): NonNullable<ConnectNodeAdapterOptions["fallback"]> {
  const methods = new Map(services.map((s) => [s.typeName, new Set(s.methods.map((m) => m.name))]));
  return (req, res) => {
    req.resume();
    const contentType = String(req.headers["content-type"] ?? "");
    if (!contentType.startsWith("application/grpc")) {
      res.writeHead(404);
      res.end();
      return;
    }
    const path = (req.url ?? "").split("?")[0];
    const match = /^\/([^/]+)\/([^/]+)$/.exec(path);
    const service = match?.[1] ?? "";
    const message = !match
      ? `unknown path ${path.slice(0, 200)}`
      : methods.has(service)
        ? `unknown method ${match[2].slice(0, 200)} of service ${service}`
        : `unknown service ${service.slice(0, 200)}`;
    const headers = {
      "content-type": contentType.split(";")[0],
      "grpc-status": String(Code.Unimplemented),
      "grpc-message": encodeGrpcMessage(message),
    };
    if (res instanceof http2.Http2ServerResponse) {
      // One HEADERS frame ending the stream: gRPC's trailers-only response.
      res.stream.respond({ ":status": 200, ...headers }, { endStream: true });
      return;
    }
    res.writeHead(200, headers);
    res.end();
  };
}
