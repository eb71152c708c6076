/**
 * The OpenAI-compatible routes (`/v1/models`, `/v1/models/{model}`, `/v1/chat/completions`, `/v1/completions`,
 * `/v1/embeddings`) over any {@link Engine}, as a route group of the HTTP server; every failure, including the
 * server's own refusals of a `/v1/` path (401, 404, 405, 503), is answered in OpenAI's error shape. The handlers
 * themselves (./handlers.ts: body mapping, reply shapes, Server-Sent Events) load on the first `/v1/` call.
 *
 * @module
 */

import type { ServerResponse } from "node:http";
import type { Engine } from "@modelwire/engine";
import type { CallContext, CallHandler, ErrorWriter, RouteGroup } from "../route-table.js";
import { sendJson } from "../server-response.js";
import { openaiErrorBody, openaiErrorStatus } from "./errors.js";
import type { OpenAIHandlers } from "./handlers.js";

/** The metrics label of every call on these routes. */
export const OPENAI_PROTOCOL = "openai";

/** Sends an error in OpenAI's shape with its status (or `status` when given). */
export const sendOpenAIError: ErrorWriter = (res, err, status = openaiErrorStatus(err), headers = {}) => {
  sendJson(res, status, openaiErrorBody(err, status), headers);
};

/**
 * Forwards `/v1/*` calls to an upstream that serves the OpenAI API itself (upstream mode); see
 * `createOpenAIForwarder` in `@modelwire/http/openai`.
 */
export interface OpenAIForwarder {
  /** Whether the upstream serves the OpenAI API (probed and cached); when not, the routes translate. */
  available(): Promise<boolean>;
  /** Relays one call (`body` undefined for a GET) and its reply; throws the failure after answering. */
  forward(path: string, res: ServerResponse, call: CallContext, body: unknown): Promise<void>;
}

/**
 * The OpenAI-compatible API over `engine`, owning the `/v1/` prefix. With a `forwarder` whose upstream serves the
 * OpenAI API, calls go there unchanged instead (after the same JSON body checks). The handlers
 * (./handlers.ts) are imported on the first call, once.
 */
export function openaiRoutes(engine: Engine, forwarder?: OpenAIForwarder): RouteGroup {
  let loaded: Promise<OpenAIHandlers> | undefined;
  const handler =
    (name: keyof OpenAIHandlers): CallHandler =>
    async (req, res, call) => {
      loaded ??= import("./handlers.js").then((m) => m.createOpenAIHandlers(engine, forwarder));
      const handlers = await loaded;
      return handlers[name](req, res, call);
    };
  return {
    protocol: OPENAI_PROTOCOL,
    prefix: "/v1/",
    sendError: sendOpenAIError,
    routes: {
      "/v1/chat/completions": { method: "POST", name: "chat", handler: handler("chat") },
      "/v1/completions": { method: "POST", name: "generate", handler: handler("completions") },
      "/v1/embeddings": { method: "POST", name: "embed", handler: handler("embeddings") },
      "/v1/models": { method: "GET", name: "list", handler: handler("models") },
      "/v1/models/:model": { method: "GET", name: "show", handler: handler("model") },
    },
  };
}
