import type { IncomingMessage } from "node:http";
import { type CorsDecision, type CorsPolicy, createCorsPolicy, ollamaOrigins } from "@modelwire/core";
import { TIMEOUT_HEADER } from "./server-call.js";

/**
 * Request headers a page may send to the HTTP port: Ollama's list (`server/routes.go`, including the headers the
 * OpenAI SDKs add), and modelwire's deadline header.
 */
export const HTTP_CORS_ALLOW_HEADERS: readonly string[] = Object.freeze([
  "Authorization",
  "Content-Type",
  "User-Agent",
  "Accept",
  "X-Requested-With",
  "OpenAI-Beta",
  "x-stainless-arch",
  "x-stainless-async",
  "x-stainless-custom-poll-interval",
  "x-stainless-helper-method",
  "x-stainless-lang",
  "x-stainless-os",
  "x-stainless-package-version",
  "x-stainless-poll-helper",
  "x-stainless-retry-count",
  "x-stainless-runtime",
  "x-stainless-runtime-version",
  "x-stainless-timeout",
  TIMEOUT_HEADER,
]);

/**
 * The HTTP port's CORS policy: Ollama's default origins plus `origins` (entries as `parseOriginList` returns them,
 * from `--origins` / `MODELWIRE_ORIGINS`).
 */
export function createHttpCors(origins: readonly string[] = []): CorsPolicy {
  return createCorsPolicy({ origins: ollamaOrigins(origins), allowHeaders: HTTP_CORS_ALLOW_HEADERS });
}

/** The decision for one request to a route that answers `methods`. */
export function corsDecision(policy: CorsPolicy, req: IncomingMessage, methods: readonly string[]): CorsDecision {
  return policy.decide({ method: req.method ?? "GET", origin: req.headers.origin, host: req.headers.host }, methods);
}
