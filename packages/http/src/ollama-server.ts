import type { IncomingMessage, ServerResponse } from "node:http";
import {
  Code,
  createStallWatch,
  createWriteBudget,
  DEFAULT_WRITE_STALL_TIMEOUT_MS,
  ModelwireError,
  noopObserver,
  type ProtocolServer,
  type ServerObserver,
  type ServerStats,
  type WriteBudget,
} from "@modelwire/core";
import { createBearerCheck } from "@modelwire/core/token";
import type { Engine } from "@modelwire/engine";
import { ollamaRoutes } from "./ollama-routes.js";
import { type OpenAIForwarder, openaiRoutes } from "./openai/routes.js";
import { allowedMethods, createRouteTable, type RouteGroup } from "./route-table.js";
import { drainBody } from "./server-body.js";
import { createCallRunner } from "./server-call.js";
import { corsDecision, createHttpCors } from "./server-cors.js";
import { createServerLifecycle, formatHost } from "./server-lifecycle.js";
import { createHttpListener } from "./server-listener.js";
import { sendError } from "./server-response.js";

export { TIMEOUT_HEADER } from "./server-call.js";

/** Options of {@link createOllamaServer}. */
export interface OllamaServerOptions {
  /** The engine every call goes to (wrap it with `guardEngine` to limit concurrency; refusals answer 503). */
  engine: Engine;
  /** Interface to bind. Default `"127.0.0.1"`. */
  host?: string;
  /** Port; 0 picks a free one. Default 0. */
  port?: number;
  /** Largest request body accepted; beyond it 413. Default 32 MiB (room for base64 images). */
  maxBodyBytes?: number;
  /** Time allowed to receive the request headers (slow-loris guard); then 408 and close. Default 30 s. */
  headersTimeoutMs?: number;
  /** Time allowed to receive the whole request (headers and body); then 408 and close. Default 60 s. */
  requestTimeoutMs?: number;
  /** Time allowed to receive the body once headers are in; then 408 and close. Default 30 s. */
  bodyTimeoutMs?: number;
  /**
   * How long a reply may wait on a client that reads nothing before the call is cut (RESOURCE_EXHAUSTED, reason
   * `write_stall`; a stream ends with that error line, the engine slot is freed). 0 turns it off. Default 30 s.
   */
  writeStallTimeoutMs?: number;
  /**
   * The budget on bytes queued for readers that are behind, shared with other servers (a gateway's one budget);
   * over it the replies holding the most are cut as a stall is (RESOURCE_EXHAUSTED, reason `write_budget`). Default:
   * a budget of this server's own, `DEFAULT_MAX_QUEUED_BYTES` (64 MiB).
   */
  writeBudget?: WriteBudget;
  /** Idle keep-alive time of a connection between requests. Default 5 s (Node's default). */
  keepAliveTimeoutMs?: number;
  /**
   * Connections held at once; one more gets 503 `{"code":"resource_exhausted"}` naming the cap and is closed.
   * Default 4096.
   */
  maxConnections?: number;
  /** Connections one remote address holds at once; one more is refused as over `maxConnections`. Default 2048. */
  maxConnectionsPerClient?: number;
  /**
   * When set, every request but `GET|HEAD /` must carry `Authorization: Bearer <token>`; otherwise 401
   * `{"error":"unauthorized"}`.
   */
  authToken?: string;
  /** Paths (exact, without query) exempt from `authToken`, e.g. `["/healthz"]`. Default none. */
  publicPaths?: readonly string[];
  /** Receives call start/chunk/end events for metrics. */
  observer?: ServerObserver;
  /**
   * Handles extra routes on the same listener (the gateway's /metrics, /healthz, control endpoint). Called after
   * the auth check and before the route table; return true when it handled (or will handle) the request.
   */
  extraRoutes?: (req: IncomingMessage, res: ServerResponse) => boolean;
  /**
   * Upstream mode: forwards `/v1/*` to an upstream that serves the OpenAI API itself (`createOpenAIForwarder`);
   * without it, or when the upstream lacks it, the OpenAI routes translate onto the engine.
   */
  openaiForwarder?: OpenAIForwarder;
  /**
   * Origins whose pages may call the API from a browser, beyond Ollama's defaults (localhost, 127.0.0.1 and
   * 0.0.0.0 on any port, the app schemes): entries as `parseOriginList` returns them (`OLLAMA_ORIGINS` semantics).
   * Applies to the routes of the route table; `extraRoutes` get no CORS handling.
   */
  origins?: readonly string[];
}

/** {@link ServerStats} plus HTTP totals. */
export interface OllamaServerStats extends ServerStats {
  /** Connections accepted since start (with `connections`, shows keep-alive reuse). */
  accepted: number;
  /** Requests received since start. */
  requests: number;
}

/** An Ollama-compatible HTTP server. */
export interface OllamaServer extends ProtocolServer {
  /** Figures now. */
  stats(): OllamaServerStats;
  /** The bound address, once listening. */
  address(): { host: string; port: number } | undefined;
  /** The base URL (`http://127.0.0.1:PORT`), once listening. */
  readonly url: string | undefined;
}

/**
 * Creates an Ollama-compatible HTTP server over any {@link Engine}: `GET|HEAD /`, `POST /api/generate`,
 * `/api/chat`, `/api/embed`, `/api/embeddings`, `/api/show`, `GET|HEAD /api/tags`, `/api/ps`, `/api/version`, and
 * beside it the OpenAI-compatible API under `/v1/` ({@link openaiRoutes}: Server-Sent Events, OpenAI's error shape).
 *
 * Streams are `application/x-ndjson`, one chunk per line; `stream: false` joins them into one object. Errors are
 * `{"error": "..."}` with 400 (bad body, JSON or option), 401 (auth), 404 (unknown model or route), 405 (method),
 * 408 (slow request), 413 (body too large), 503 (`ResourceExhausted` from the engine, or shutting down), 500
 * otherwise; an error after streaming began is a last NDJSON line `{"error": "..."}`. A client that disconnects
 * aborts the engine call. Each error body also carries modelwire's `code` key (see `errorToJson`).
 *
 * The pieces: {@link createHttpListener} (Node's server, timeouts, parser errors), {@link createServerLifecycle}
 * (listen, sockets, graceful close), a {@link createRouteTable} of route groups ({@link ollamaRoutes}, {@link openaiRoutes}), and
 * {@link createCallRunner} (one call's context and error answer). Requests pass, in order: the connection-cap check (503
 * `resource_exhausted`, see `createConnectionGate`), CORS for a route of the table ({@link createHttpCors}: a
 * disallowed `Origin` is 403, a preflight is answered 204, an allowed origin's request gets the headers), the shutdown
 * check (503), the bearer check (401), `extraRoutes`, then the route table (404, 405).
 */
export function createOllamaServer(options: OllamaServerOptions): OllamaServer {
  const requestTimeoutMs = positive("requestTimeoutMs", options.requestTimeoutMs ?? 60_000);
  const server = createHttpListener({
    requestTimeoutMs,
    headersTimeoutMs: Math.min(positive("headersTimeoutMs", options.headersTimeoutMs ?? 30_000), requestTimeoutMs),
    keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? 5_000,
  });
  const lifecycle = createServerLifecycle(server, {
    maxConnections: options.maxConnections,
    maxConnectionsPerClient: options.maxConnectionsPerClient,
  });
  const stallWatch = createStallWatch(options.writeStallTimeoutMs ?? DEFAULT_WRITE_STALL_TIMEOUT_MS);
  const writeBudget = options.writeBudget ?? createWriteBudget();
  const runCall = createCallRunner({
    observer: options.observer ?? noopObserver,
    lifecycle,
    maxBodyBytes: positive("maxBodyBytes", options.maxBodyBytes ?? 32 * 1024 * 1024),
    bodyTimeoutMs: positive("bodyTimeoutMs", options.bodyTimeoutMs ?? 30_000),
    stallWatch,
    writeBudget,
  });
  const groups: RouteGroup[] = [ollamaRoutes(options.engine), openaiRoutes(options.engine, options.openaiForwarder)];
  const routes = createRouteTable(groups, sendError);
  const authorized = bearerCheck(options.authToken);
  const publicPaths = new Set(options.publicPaths ?? []);
  const cors = createHttpCors(options.origins);
  let requests = 0;

  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    requests++;
    dispatch(req, res).catch((e) => {
      // Only reached on a bug in a handler's error path: answer once, never crash the process.
      if (!res.headersSent) sendError(res, ModelwireError.from(e, Code.Internal));
      else res.destroy();
    });
  });

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q === -1 ? url : url.slice(0, q);
    const refusal = lifecycle.refusalOf(req.socket);
    if (refusal) {
      drainBody(req);
      routes.errorWriterFor(path)(res, refusal.error, 503, { Connection: "close" });
      return;
    }
    const match = routes.match(path);

    // CORS first, as Ollama's middleware runs first: a preflight carries no token and changes nothing, so it is
    // answered before the auth check; an actual request still needs the token and gets the headers on every answer.
    if (match && req.headers.origin !== undefined) {
      const decision = corsDecision(cors, req, allowedMethods(match.route));
      if (decision.kind === "refuse") {
        drainBody(req);
        const err = new ModelwireError(
          `origin ${decision.origin.slice(0, 200)} is not allowed`,
          Code.PermissionDenied,
          {
            field: "origin",
          },
        );
        match.sendError(res, err, 403);
        return;
      }
      if (decision.kind === "preflight") {
        drainBody(req);
        res.writeHead(204, decision.headers);
        res.end();
        return;
      }
      if (decision.kind === "actual") for (const [k, v] of Object.entries(decision.headers)) res.setHeader(k, v);
    }

    if (lifecycle.closing) {
      drainBody(req);
      const err = new ModelwireError("server shutting down", Code.Unavailable);
      routes.errorWriterFor(path)(res, err, 503, { Connection: "close" });
      return;
    }
    // `GET|HEAD /` stays open, so liveness checks work with a token set (it reveals nothing but "running").
    const open = path === "/" || publicPaths.has(path);
    if (authorized && !open && !authorized(req.headers.authorization)) {
      drainBody(req);
      const err = new ModelwireError("unauthorized", Code.Unauthenticated);
      routes.errorWriterFor(path)(res, err, 401, { "WWW-Authenticate": "Bearer" });
      return;
    }
    if (options.extraRoutes?.(req, res)) return;

    if (!match) {
      drainBody(req);
      routes.errorWriterFor(path)(res, new ModelwireError("404 page not found", Code.NotFound), 404);
      return;
    }
    const allowed = allowedMethods(match.route);
    if (!allowed.includes(req.method ?? "GET")) {
      drainBody(req);
      const err = new ModelwireError("405 method not allowed", Code.Unimplemented);
      match.sendError(res, err, 405, { Allow: allowed.join(", ") });
      return;
    }
    if ("respond" in match.route) match.route.respond(req, res);
    else await runCall(req, res, match.route, match.params, match.sendError, match.protocol);
  }

  return {
    get url() {
      const bound = lifecycle.address();
      return bound ? `http://${formatHost(bound.host)}:${bound.port}` : undefined;
    },
    address: () => lifecycle.address(),
    listen: () => lifecycle.listen(options.port ?? 0, options.host ?? "127.0.0.1"),
    close: ({ graceMs = 5_000 } = {}) => lifecycle.close(graceMs),
    stats: () => ({ ...lifecycle.stats(), requests, stalled: stallWatch.stalled }),
  };
}

/** A constant-time check of `Authorization: Bearer <token>` (digests compared); undefined when no token is set. */
function bearerCheck(token: string | undefined): ((header: string | undefined) => boolean) | undefined {
  return token === undefined ? undefined : createBearerCheck(token);
}

function positive(field: string, v: number): number {
  if (!Number.isFinite(v) || v <= 0) {
    throw new ModelwireError(`${field} must be a positive number, got ${v}`, Code.InvalidArgument, { field });
  }
  return v;
}
