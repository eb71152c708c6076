import type * as http from "node:http";
import type * as http2 from "node:http2";
import { cors as connectCors } from "@connectrpc/connect";
import { type CorsPolicy, createCorsPolicy, ollamaOrigins } from "@modelwire/core";

/** A request of either HTTP version, as the Connect port's handlers get it. */
type AnyRequest = http.IncomingMessage | http2.Http2ServerRequest;
type AnyResponse = http.ServerResponse | http2.Http2ServerResponse;

/**
 * The Connect port's CORS policy: Ollama's default origins plus `origins` (`OLLAMA_ORIGINS`-shaped entries, as
 * `parseOriginList` returns them). Pages may send what connect-web sends over the Connect protocol and gRPC-Web
 * (connect-es's `cors.allowedHeaders`) and `Authorization`, and read the gRPC status headers
 * (`cors.exposedHeaders`: `grpc-status`, `grpc-message`, `grpc-status-details-bin` and the encodings).
 */
export function createConnectCors(origins: readonly string[] = []): CorsPolicy {
  return createCorsPolicy({
    origins: ollamaOrigins(origins),
    allowHeaders: [...connectCors.allowedHeaders, "Authorization"],
    exposeHeaders: connectCors.exposedHeaders,
  });
}

/**
 * Applies `policy` to a request that carries `Origin`. Returns true when it answered the request itself: a
 * preflight (204 with the CORS headers, before any token check: a preflight carries none and changes nothing) or
 * a disallowed origin (403, a Connect error body, no CORS headers). Otherwise the CORS headers of an allowed origin
 * are set on `res` and the caller serves the request as usual (the bearer check still applies).
 */
export function applyCors(policy: CorsPolicy, req: AnyRequest, res: AnyResponse): boolean {
  const host = req.headers.host ?? (req.headers[":authority"] as string | undefined);
  const d = policy.decide(
    { method: req.method ?? "POST", origin: req.headers.origin, host },
    connectCors.allowedMethods,
  );
  if (d.kind === "pass") return false;
  if (d.kind === "actual") {
    for (const [k, v] of Object.entries(d.headers)) res.setHeader(k, v);
    return false;
  }
  req.resume(); // nothing of the body is read
  if (d.kind === "preflight") {
    res.writeHead(204, d.headers);
    res.end();
    return true;
  }
  const body = JSON.stringify({
    code: "permission_denied",
    message: `origin ${d.origin.slice(0, 200)} is not allowed`,
  });
  res.writeHead(403, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
  return true;
}
