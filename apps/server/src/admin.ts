import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { type AddressInfo, isIP, type Socket } from "node:net";
import { Code, codeName, codeToHttpStatus, type ListenAddress, ModelwireError } from "@modelwire/core";
import { createBearerCheck } from "@modelwire/core/token";
import type { MetricsAuth } from "./config.js";
import { isLoopbackHost } from "./exposure.js";

/** What the admin listener serves; the gateway supplies it. */
export interface AdminHandlers {
  /** False while draining (`/healthz` answers 503). */
  healthy(): boolean;
  /**
   * Readiness for `/readyz`: `"ready"` (200), or why not (503): draining, or (upstream mode) no upstream answers.
   * Default: ready while healthy.
   */
  ready?(): string;
  /** The Prometheus exposition. */
  metrics(): Promise<{ contentType: string; body: string }>;
  /** The `/control/stats` document. */
  stats(): unknown;
  /** Starts a new stats window (`/control/stats` counts from now; Prometheus counters stay monotonic). */
  reset(): void;
  /**
   * Applies synthetic engine knobs from a parsed JSON body; returns the config in force. Throws `InvalidArgument`
   * naming the bad field, or `FailedPrecondition` in upstream mode.
   */
  configureEngine(body: unknown): unknown;
}

/** Options of {@link createAdminServer}. */
export interface AdminServerOptions {
  host: string;
  port: number;
  handlers: AdminHandlers;
  /** Largest request body accepted. Default 64 KiB. */
  maxBodyBytes?: number;
  /** The bearer token every `/control/*` route requires (and `/metrics`, see `metricsAuth`). Default none. */
  token?: string;
  /**
   * Whether `/metrics` requires the token: `auto` (default) when the listener is bound to a non-loopback address,
   * `token` always, `open` never. Without a token `/metrics` is open (`token` then throws at creation).
   */
  metricsAuth?: MetricsAuth;
  /** Origins (`http://host:port`) whose pages may send mutating requests. Default none. */
  allowedOrigins?: readonly string[];
}

/** The admin listener: plain HTTP/1.1 with JSON bodies. */
export interface AdminServer {
  listen(): Promise<ListenAddress[]>;
  /** Stops accepting and closes every connection (admin requests are short). */
  close(): Promise<void>;
}

const JSON_TYPE = "application/json; charset=utf-8";

/**
 * Creates the admin listener: `GET /healthz`, `GET /metrics`, `GET /control/stats`, `POST /control/reset`,
 * `POST /control/engine`. Unknown paths answer 404, wrong methods 405, oversized bodies 413, bad JSON 400; every
 * error body is `{"error": "...", "code": "..."}`.
 *
 * Lock-down: with a token, `/control/*` answers 401 without `Authorization: Bearer <token>` (compared in constant
 * time); without one, `/control/*` answers only requests whose `Host` is an IP address or `localhost` (a
 * DNS-rebinding page carries its own name). A `POST` must be `Content-Type: application/json` (else 415) and carry
 * no `Origin` other than an allowed one (else 403), so no web page can make a browser change the gateway's state.
 * `/healthz` is always open.
 */
export function createAdminServer(options: AdminServerOptions): AdminServer {
  const maxBody = options.maxBodyBytes ?? 64 * 1024;
  const h = options.handlers;
  const metricsAuth = options.metricsAuth ?? "auto";
  if (metricsAuth === "token" && options.token === undefined) {
    throw new ModelwireError('metricsAuth "token" needs a token', Code.InvalidArgument, { field: "metricsAuth" });
  }
  const authorized = options.token === undefined ? undefined : createBearerCheck(options.token);
  const allowedOrigins = new Set(options.allowedOrigins ?? []);
  // Decided once bound (auto: by the bound address).
  let metricsLocked = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer(
    { keepAliveTimeout: 5_000, requestTimeout: 10_000, headersTimeout: 10_000 },
    (req, res) => {
      handle(req, res).catch((e) => sendError(res, ModelwireError.from(e, Code.Internal)));
    },
  );
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  });

  async function refuse(req: IncomingMessage, res: ServerResponse, err: ModelwireError): Promise<void> {
    await drain(req, maxBody).catch(() => undefined);
    if (err.code === Code.Unauthenticated) res.setHeader("www-authenticate", "Bearer");
    sendError(res, err);
  }

  /** The reason a request may not reach its route, or undefined. */
  function gate(req: IncomingMessage, path: string, route: "GET" | "POST"): ModelwireError | undefined {
    const control = path.startsWith("/control/");
    if (control || (path === "/metrics" && metricsLocked)) {
      if (authorized) {
        if (!authorized(req.headers.authorization)) {
          return new ModelwireError(`${path} requires Authorization: Bearer <admin token>`, Code.Unauthenticated);
        }
      } else if (control && !isAddressHost(req.headers.host)) {
        return new ModelwireError(
          `${path} without an admin token answers only Host: <IP address> or localhost (set --admin-token)`,
          Code.PermissionDenied,
        );
      }
    }
    if (route !== "POST") return undefined;
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins.has(origin)) {
      return new ModelwireError(
        `cross-origin request from ${origin.slice(0, 100)} refused (allow it with --admin-origins)`,
        Code.PermissionDenied,
      );
    }
    const type = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
    if (type !== "application/json") {
      return new ModelwireError(
        `${path} takes Content-Type: application/json, got ${type === "" ? "none" : type.slice(0, 100)}`,
        Code.InvalidArgument,
        { field: "content-type", status: "415" },
      );
    }
    return undefined;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0];
    const method = req.method ?? "GET";
    const route = ROUTES[path];
    if (!route) {
      return refuse(req, res, new ModelwireError(`no admin route ${path.slice(0, 100)}`, Code.NotFound));
    }
    if (method !== route && !(route === "GET" && method === "HEAD")) {
      await drain(req, maxBody).catch(() => undefined);
      res.setHeader("allow", route === "GET" ? "GET, HEAD" : route);
      return send(res, 405, { error: `${path} takes ${route}`, code: codeName(Code.Unimplemented) });
    }
    const refused = gate(req, path, route);
    if (refused) return refuse(req, res, refused);
    switch (path) {
      case "/healthz":
        return h.healthy() ? send(res, 200, { status: "ok" }) : send(res, 503, { status: "draining" });
      case "/readyz": {
        const status = h.ready ? h.ready() : h.healthy() ? "ready" : "draining";
        return send(res, status === "ready" ? 200 : 503, { status });
      }
      case "/metrics": {
        const m = await h.metrics();
        res.writeHead(200, { "content-type": m.contentType, "content-length": Buffer.byteLength(m.body) });
        res.end(method === "HEAD" ? undefined : m.body);
        return;
      }
      case "/control/stats":
        return send(res, 200, h.stats());
      case "/control/reset":
        // An empty body or a JSON object (its keys are ignored).
        jsonObject(await drain(req, maxBody), true);
        h.reset();
        res.writeHead(204).end();
        return;
      case "/control/engine":
        return send(res, 200, h.configureEngine(jsonObject(await drain(req, maxBody), false)));
    }
  }

  return {
    async listen() {
      await new Promise<void>((resolve, reject) => {
        const onError = (e: Error) =>
          reject(new ModelwireError(`admin listen failed: ${e.message}`, Code.Unavailable, {}, e));
        server.once("error", onError);
        server.listen(options.port, options.host, () => {
          server.off("error", onError);
          resolve();
        });
      });
      const a = server.address() as AddressInfo;
      const host = a.family === "IPv6" ? `[${a.address}]` : a.address;
      metricsLocked =
        authorized !== undefined && (metricsAuth === "token" || (metricsAuth === "auto" && !isLoopbackHost(a.address)));
      return [{ protocol: "admin", url: `http://${host}:${a.port}` }];
    },
    close() {
      return new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeIdleConnections();
        for (const s of sockets) s.destroy();
      });
    },
  };
}

const ROUTES: Record<string, "GET" | "POST"> = {
  "/healthz": "GET",
  "/readyz": "GET",
  "/metrics": "GET",
  "/control/stats": "GET",
  "/control/reset": "POST",
  "/control/engine": "POST",
};

/** Parses a request body as a JSON object (or, when `emptyOk`, nothing); anything else is `InvalidArgument`. */
function jsonObject(text: string, emptyOk: boolean): unknown {
  if (emptyOk && text.trim() === "") return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw new ModelwireError(`body is not valid JSON: ${(e as Error).message}`, Code.InvalidArgument, {
      field: "body",
    });
  }
  if (emptyOk && (typeof body !== "object" || body === null || Array.isArray(body))) {
    throw new ModelwireError("body must be empty or a JSON object", Code.InvalidArgument, { field: "body" });
  }
  return body;
}

/** True when a `Host` header names an IP address or `localhost` (with or without a port). */
function isAddressHost(host: string | undefined): boolean {
  if (host === undefined) return false;
  let name: string;
  try {
    name = new URL(`http://${host}`).hostname;
  } catch {
    return false;
  }
  const bare = name.startsWith("[") ? name.slice(1, -1) : name;
  return isIP(bare) !== 0 || isLoopbackHost(bare);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": JSON_TYPE, "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, err: ModelwireError): void {
  if (res.headersSent) {
    res.destroy(err);
    return;
  }
  if (err.metadata.status === "413") res.setHeader("connection", "close");
  const status =
    err.code === Code.FailedPrecondition
      ? 409
      : err.metadata.status
        ? Number(err.metadata.status)
        : codeToHttpStatus[err.code];
  const body: Record<string, string> = { error: err.rawMessage, code: codeName(err.code) };
  if (err.metadata.field) body.field = err.metadata.field;
  send(res, status, body);
}

/** Reads a request body up to `max` bytes; larger → `ResourceExhausted` (413). */
function drain(req: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const tooLarge = () =>
      new ModelwireError(`body larger than ${max} bytes`, Code.ResourceExhausted, {
        limit: String(max),
        status: "413",
      });
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > max) {
      req.resume();
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > max) {
        // Stop buffering, discard the rest, and answer 413 on a connection that then closes.
        req.off("data", onData);
        req.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(c);
    };
    req.on("data", onData);
    req.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.once("error", reject);
  });
}
