import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { create } from "@bufbuild/protobuf";
import {
  type CallObserver,
  type ChatResponse,
  ChatResponseSchema,
  Code,
  createCallSignal,
  type GenerateResponse,
  GenerateResponseSchema,
  type ListenAddress,
  MessageSchema,
  ModelwireError,
  noopObserver,
  type ProtocolServer,
  type ServerObserver,
  type ServerStats,
  type ToolCall,
} from "@modelwire/core";
import type { Engine, EngineContext } from "@modelwire/engine";
import { errorToJson } from "./ollama-error.js";
import {
  chatRequestFromJson,
  chatResponseToJson,
  embeddingsRequestFromJson,
  embeddingsResponseToJson,
  embedRequestFromJson,
  embedResponseToJson,
  generateRequestFromJson,
  generateResponseToJson,
  listResponseToJson,
  psResponseToJson,
  showRequestFromJson,
  showResponseToJson,
  versionResponseToJson,
} from "./ollama-json.js";
import { BodyError, parseJsonBody, readBody } from "./server-body.js";
import { NDJSON_TYPE, NdjsonWriter, sendError, sendJson } from "./server-response.js";

/** The request header carrying a call's remaining time in milliseconds (set by modelwire's client). */
export const TIMEOUT_HEADER = "x-modelwire-timeout-ms";

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
  /** Idle keep-alive time of a connection between requests. Default 5 s (Node's default). */
  keepAliveTimeoutMs?: number;
  /** Connections accepted at once; more are refused by the listener. Default unlimited. */
  maxConnections?: number;
  /** When set, every request must carry `Authorization: Bearer <token>`; otherwise 401 `{"error":"unauthorized"}`. */
  authToken?: string;
  /** Paths (exact, without query) exempt from `authToken`, e.g. `["/healthz"]`. Default none. */
  publicPaths?: readonly string[];
  /** Receives call start/chunk/end events for metrics. */
  observer?: ServerObserver;
  /**
   * Handles extra routes on the same listener (the gateway's /metrics, /healthz, control endpoint). Called after
   * the auth check and before the Ollama routes; return true when it handled (or will handle) the request.
   */
  extraRoutes?: (req: IncomingMessage, res: ServerResponse) => boolean;
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

type Handler = (req: IncomingMessage, res: ServerResponse, call: CallContext) => Promise<void>;

interface Route {
  method: "GET" | "POST";
  name: string;
  handler: Handler;
}

interface CallContext {
  ctx: EngineContext;
  observer: CallObserver;
  /** Reads and parses the JSON body. */
  json(): Promise<unknown>;
}

/**
 * Creates an Ollama-compatible HTTP server over any {@link Engine}: `GET|HEAD /`, `POST /api/generate`,
 * `/api/chat`, `/api/embed`, `/api/embeddings`, `/api/show`, `GET|HEAD /api/tags`, `/api/ps`, `/api/version`.
 *
 * Streams are `application/x-ndjson`, one chunk per line; `stream: false` joins them into one object. Errors are
 * `{"error": "..."}` with 400 (bad body, JSON or option), 401 (auth), 404 (unknown model or route), 405 (method),
 * 408 (slow request), 413 (body too large), 503 (`ResourceExhausted` from the engine, or shutting down), 500
 * otherwise; an error after streaming began is a last NDJSON line `{"error": "..."}`. A client that disconnects
 * aborts the engine call. Each error body also carries modelwire's `code` key (see {@link errorToJson}).
 */
export function createOllamaServer(options: OllamaServerOptions): OllamaServer {
  const engine = options.engine;
  const host = options.host ?? "127.0.0.1";
  const maxBodyBytes = positive("maxBodyBytes", options.maxBodyBytes ?? 32 * 1024 * 1024);
  const requestTimeoutMs = positive("requestTimeoutMs", options.requestTimeoutMs ?? 60_000);
  const headersTimeoutMs = Math.min(positive("headersTimeoutMs", options.headersTimeoutMs ?? 30_000), requestTimeoutMs);
  const bodyTimeoutMs = positive("bodyTimeoutMs", options.bodyTimeoutMs ?? 30_000);
  const observer = options.observer ?? noopObserver;
  const token = options.authToken === undefined ? undefined : Buffer.from(`Bearer ${options.authToken}`);
  const publicPaths = new Set(options.publicPaths ?? []);

  const routes = new Map<string, Route>([
    ["/api/generate", { method: "POST", name: "generate", handler: handleGenerate }],
    ["/api/chat", { method: "POST", name: "chat", handler: handleChat }],
    ["/api/embed", { method: "POST", name: "embed", handler: handleEmbed }],
    ["/api/embeddings", { method: "POST", name: "embed", handler: handleEmbeddings }],
    ["/api/show", { method: "POST", name: "show", handler: handleShow }],
    [
      "/api/tags",
      {
        method: "GET",
        name: "list",
        handler: async (_q, res, c) => ok(res, listResponseToJson(await engine.list(c.ctx))),
      },
    ],
    [
      "/api/ps",
      {
        method: "GET",
        name: "running",
        handler: async (_q, res, c) => ok(res, psResponseToJson(await engine.running(c.ctx))),
      },
    ],
    [
      "/api/version",
      {
        method: "GET",
        name: "version",
        handler: async (_q, res, c) => ok(res, versionResponseToJson(await engine.version(c.ctx))),
      },
    ],
  ]);

  const sockets = new Set<Socket>();
  let closedBytesIn = 0;
  let closedBytesOut = 0;
  let inFlight = 0;
  let accepted = 0;
  let requests = 0;
  let closing = false;
  const active = new Set<AbortController>();
  let bound: { host: string; port: number } | undefined;
  /** While closing: resolves `close()` once the listener, every socket and every call are done. */
  let settle: (() => void) | undefined;

  const server: Server = createServer({
    keepAlive: true,
    noDelay: true,
    requestTimeout: requestTimeoutMs,
    headersTimeout: headersTimeoutMs,
    connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(headersTimeoutMs / 4))),
  });
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? 5_000;
  if (options.maxConnections !== undefined) server.maxConnections = options.maxConnections;

  server.on("connection", (socket: Socket) => {
    accepted++;
    sockets.add(socket);
    socket.on("close", () => {
      sockets.delete(socket);
      closedBytesIn += socket.bytesRead;
      closedBytesOut += socket.bytesWritten;
      settle?.();
    });
  });

  server.on("clientError", (err: NodeJS.ErrnoException, socket: Socket) => {
    const pending = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
    if (!socket.writable || pending?.headersSent || err.code === "ECONNRESET") {
      socket.destroy();
      return;
    }
    const [status, reason, text] =
      err.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? [408, "Request Timeout", "request timeout"]
        : err.code === "HPE_HEADER_OVERFLOW"
          ? [431, "Request Header Fields Too Large", "request header fields too large"]
          : [400, "Bad Request", `bad request: ${err.code ?? err.message}`];
    const code = status === 408 ? "deadline_exceeded" : status === 431 ? "resource_exhausted" : "invalid_argument";
    const body = JSON.stringify({ error: text, code });
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
    socket.destroySoon?.();
  });

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
    const method = req.method ?? "GET";

    if (closing) {
      drainBody(req);
      sendError(res, new ModelwireError("server shutting down", Code.Unavailable), 503, { Connection: "close" });
      return;
    }
    if (token && !publicPaths.has(path) && !authorized(req.headers.authorization)) {
      drainBody(req);
      sendJson(res, 401, { error: "unauthorized", code: "unauthenticated" }, { "WWW-Authenticate": "Bearer" });
      return;
    }
    if (options.extraRoutes?.(req, res)) return;

    if (path === "/") {
      if (method !== "GET" && method !== "HEAD") return methodNotAllowed(req, res, "GET, HEAD");
      drainBody(req);
      const text = "Ollama is running";
      res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(text) });
      res.end(method === "HEAD" ? undefined : text);
      return;
    }
    const route = routes.get(path);
    if (!route) {
      drainBody(req);
      sendJson(res, 404, { error: "404 page not found", code: "not_found" });
      return;
    }
    const allowed = route.method === "GET" ? ["GET", "HEAD"] : ["POST"];
    if (!allowed.includes(method)) return methodNotAllowed(req, res, allowed.join(", "));
    await serveCall(req, res, route);
  }

  function methodNotAllowed(req: IncomingMessage, res: ServerResponse, allow: string) {
    drainBody(req);
    sendJson(res, 405, { error: "405 method not allowed", code: "unimplemented" }, { Allow: allow });
  }

  async function serveCall(req: IncomingMessage, res: ServerResponse, route: Route): Promise<void> {
    const call = observer.callStarted("http", route.name);
    const controller = new AbortController();
    const timeout = parseTimeout(req.headers[TIMEOUT_HEADER]);
    const callSignal = createCallSignal({ signal: controller.signal, timeoutMs: timeout });
    const onClose = () => {
      if (!res.writableFinished) {
        controller.abort(new ModelwireError("client disconnected", Code.Canceled));
      }
    };
    res.on("close", onClose);
    inFlight++;
    active.add(controller);
    let failure: ModelwireError | undefined;
    try {
      const context: CallContext = {
        ctx: { signal: callSignal.signal, deadline: callSignal.deadline },
        observer: call,
        json: async () => parseJsonBody(await readBody(req, maxBodyBytes, bodyTimeoutMs)),
      };
      if (route.method === "GET") drainBody(req);
      await route.handler(req, res, context);
    } catch (e) {
      failure = e instanceof BodyError ? e : ModelwireError.from(e, Code.Internal);
      if (e instanceof BodyError) {
        if (e.status === 0) res.destroy();
        else sendError(res, e, e.status, { Connection: "close" });
      } else if (!res.headersSent) {
        sendError(res, failure);
      } else if (!res.writableEnded) {
        res.end();
      }
    } finally {
      callSignal.dispose();
      res.off("close", onClose);
      inFlight--;
      active.delete(controller);
      call.end(failure);
      if (closing) {
        res.once("finish", () => setImmediate(() => server.closeIdleConnections()));
        settle?.();
      }
    }
  }

  /**
   * Runs a streaming call. The first chunk is pulled before the status is committed, so an unknown model is a real
   * 404 and a refused call a real 503. With `stream: false` every chunk is joined into one reply.
   */
  async function streamCall<T extends GenerateResponse | ChatResponse>(
    res: ServerResponse,
    call: CallContext,
    stream: boolean,
    source: () => AsyncIterable<T>,
    toJson: (chunk: T) => unknown,
    join: (chunks: T[]) => T,
    isContent: (chunk: T) => boolean,
  ): Promise<void> {
    const it = source()[Symbol.asyncIterator]();
    let finished = false;
    try {
      let next = await it.next();
      if (!stream) {
        const chunks: T[] = [];
        while (!next.done) {
          if (isContent(next.value)) call.observer.chunk();
          chunks.push(next.value);
          if (next.value.done) break;
          next = await it.next();
        }
        finished = true;
        checkEnded(chunks);
        ok(res, toJson(join(chunks)));
        return;
      }
      res.writeHead(200, { "Content-Type": NDJSON_TYPE });
      const writer = new NdjsonWriter(res);
      try {
        let sawDone = false;
        while (!next.done) {
          const chunk = next.value;
          if (isContent(chunk)) call.observer.chunk();
          const wait = writer.write(toJson(chunk));
          if (wait) await wait;
          if (res.destroyed) throw new ModelwireError("client disconnected", Code.Canceled);
          if (chunk.done) {
            sawDone = true;
            break;
          }
          next = await it.next();
        }
        finished = true;
        if (!sawDone) throw new ModelwireError("engine stream ended without a final chunk", Code.Internal);
        writer.end();
      } catch (e) {
        const err = ModelwireError.from(e, Code.Internal);
        if (!res.destroyed && !res.writableEnded) writer.end(errorToJson(err));
        throw err;
      }
    } finally {
      if (!finished) await it.return?.(undefined)?.catch(() => {});
      else void it.return?.(undefined)?.catch(() => {});
    }
  }

  function checkEnded<T extends { done: boolean }>(chunks: T[]) {
    if (chunks.length === 0 || !chunks[chunks.length - 1].done) {
      throw new ModelwireError("engine stream ended without a final chunk", Code.Internal);
    }
  }

  async function handleGenerate(_req: IncomingMessage, res: ServerResponse, call: CallContext) {
    const request = generateRequestFromJson(await call.json());
    await streamCall(
      res,
      call,
      request.stream ?? true,
      () => engine.generate(request, call.ctx),
      generateResponseToJson,
      joinGenerate,
      (c) => !c.done && (c.response.length > 0 || c.thinking.length > 0),
    );
  }

  async function handleChat(_req: IncomingMessage, res: ServerResponse, call: CallContext) {
    const request = chatRequestFromJson(await call.json());
    await streamCall(
      res,
      call,
      request.stream ?? true,
      () => engine.chat(request, call.ctx),
      chatResponseToJson,
      joinChat,
      (c) => !c.done && ((c.message?.content.length ?? 0) > 0 || (c.message?.thinking.length ?? 0) > 0),
    );
  }

  async function handleEmbed(_req: IncomingMessage, res: ServerResponse, call: CallContext) {
    const request = embedRequestFromJson(await call.json());
    ok(res, embedResponseToJson(await engine.embed(request, call.ctx)));
  }

  async function handleEmbeddings(_req: IncomingMessage, res: ServerResponse, call: CallContext) {
    const request = embeddingsRequestFromJson(await call.json());
    if (request.input.length === 0) {
      // Ollama answers an empty legacy prompt with an empty vector (it only loads the model).
      ok(res, { embedding: [] });
      return;
    }
    ok(res, embeddingsResponseToJson(await engine.embed(request, call.ctx)));
  }

  async function handleShow(_req: IncomingMessage, res: ServerResponse, call: CallContext) {
    const request = showRequestFromJson(await call.json());
    if (request.model === "") throw new ModelwireError("model is required", Code.InvalidArgument, { field: "model" });
    ok(res, showResponseToJson(await engine.show(request, call.ctx)));
  }

  function ok(res: ServerResponse, body: unknown) {
    sendJson(res, 200, body);
  }

  function authorized(header: string | undefined): boolean {
    if (!token || header === undefined) return false;
    const got = Buffer.from(header);
    return got.length === token.length && timingSafeEqual(got, token);
  }

  let closed: Promise<void> | undefined;

  return {
    get url() {
      return bound ? `http://${formatHost(bound.host)}:${bound.port}` : undefined;
    },
    address: () => bound,
    listen() {
      return new Promise<ListenAddress[]>((resolve, reject) => {
        const onError = (e: Error) => reject(ModelwireError.from(e, Code.Unavailable));
        server.once("error", onError);
        server.listen(options.port ?? 0, host, () => {
          server.off("error", onError);
          const a = server.address();
          if (a === null || typeof a === "string") {
            reject(new ModelwireError("server bound to an unexpected address", Code.Internal));
            return;
          }
          bound = { host: a.address, port: a.port };
          resolve([{ protocol: "http", url: `http://${formatHost(a.address)}:${a.port}` }]);
        });
      });
    },
    close({ graceMs = 5_000 } = {}) {
      if (closed) return closed;
      closing = true;
      closed = new Promise<void>((resolve) => {
        if (!server.listening) {
          for (const s of sockets) s.destroy();
          resolve();
          return;
        }
        let serverClosed = false;
        settle = () => {
          if (serverClosed && sockets.size === 0 && inFlight === 0) {
            settle = undefined;
            resolve();
          }
        };
        server.close(() => {
          serverClosed = true;
          settle?.();
        });
        server.closeIdleConnections();
        const timer = setTimeout(() => {
          const reason = new ModelwireError("server shutting down", Code.Unavailable);
          for (const c of active) c.abort(reason);
          server.closeAllConnections();
          for (const s of sockets) s.destroy();
        }, graceMs);
        timer.unref?.();
        server.once("close", () => clearTimeout(timer));
      });
      return closed;
    },
    stats(): OllamaServerStats {
      let bytesIn = closedBytesIn;
      let bytesOut = closedBytesOut;
      for (const s of sockets) {
        bytesIn += s.bytesRead;
        bytesOut += s.bytesWritten;
      }
      return { connections: sockets.size, inFlight, bytesIn, bytesOut, accepted, requests };
    },
  };
}

/** Joins streamed generate chunks into the one reply of `stream: false`. */
function joinGenerate(chunks: GenerateResponse[]): GenerateResponse {
  const last = chunks[chunks.length - 1];
  return create(GenerateResponseSchema, {
    ...last,
    response: chunks.map((c) => c.response).join(""),
    thinking: chunks.map((c) => c.thinking).join(""),
  });
}

/** Joins streamed chat chunks into the one reply of `stream: false`. */
function joinChat(chunks: ChatResponse[]): ChatResponse {
  const last = chunks[chunks.length - 1];
  const toolCalls: ToolCall[] = chunks.flatMap((c) => c.message?.toolCalls ?? []);
  return create(ChatResponseSchema, {
    ...last,
    message: create(MessageSchema, {
      role: last.message?.role || "assistant",
      content: chunks.map((c) => c.message?.content ?? "").join(""),
      thinking: chunks.map((c) => c.message?.thinking ?? "").join(""),
      toolCalls,
    }),
  });
}

/** Reads the remaining-time header; a malformed value is ignored (no deadline). */
function parseTimeout(v: string | string[] | undefined): number | undefined {
  if (typeof v !== "string" || !/^\d{1,12}$/.test(v)) return undefined;
  return Number(v);
}

/** Discards a request body we will not read, so a keep-alive connection stays usable. */
function drainBody(req: IncomingMessage) {
  if (!req.complete) req.resume();
}

function positive(field: string, v: number): number {
  if (!Number.isFinite(v) || v <= 0) {
    throw new ModelwireError(`${field} must be a positive number, got ${v}`, Code.InvalidArgument, { field });
  }
  return v;
}

function formatHost(h: string): string {
  return h.includes(":") ? `[${h}]` : h;
}
