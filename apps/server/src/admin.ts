import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { Code, codeName, codeToHttpStatus, type ListenAddress, ModelwireError } from "@modelwire/core";

/** What the admin listener serves; the gateway supplies it. */
export interface AdminHandlers {
  /** False while draining (`/healthz` answers 503). */
  healthy(): boolean;
  /** The Prometheus exposition. */
  metrics(): Promise<{ contentType: string; body: string }>;
  /** The `/control/stats` document. */
  stats(): unknown;
  /** Zeroes the engine counters. */
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
 */
export function createAdminServer(options: AdminServerOptions): AdminServer {
  const maxBody = options.maxBodyBytes ?? 64 * 1024;
  const h = options.handlers;
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

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0];
    const method = req.method ?? "GET";
    const route = ROUTES[path];
    if (!route) {
      await drain(req, maxBody).catch(() => undefined);
      return sendError(res, new ModelwireError(`no admin route ${path.slice(0, 100)}`, Code.NotFound));
    }
    if (method !== route && !(route === "GET" && method === "HEAD")) {
      await drain(req, maxBody).catch(() => undefined);
      res.setHeader("allow", route);
      return send(res, 405, { error: `${path} takes ${route}`, code: codeName(Code.Unimplemented) });
    }
    switch (path) {
      case "/healthz":
        return h.healthy() ? send(res, 200, { status: "ok" }) : send(res, 503, { status: "draining" });
      case "/metrics": {
        const m = await h.metrics();
        res.writeHead(200, { "content-type": m.contentType, "content-length": Buffer.byteLength(m.body) });
        res.end(method === "HEAD" ? undefined : m.body);
        return;
      }
      case "/control/stats":
        return send(res, 200, h.stats());
      case "/control/reset":
        await drain(req, maxBody);
        h.reset();
        res.writeHead(204).end();
        return;
      case "/control/engine": {
        const text = await drain(req, maxBody);
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch (e) {
          throw new ModelwireError(`body is not valid JSON: ${(e as Error).message}`, Code.InvalidArgument, {
            field: "body",
          });
        }
        return send(res, 200, h.configureEngine(body));
      }
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
  "/metrics": "GET",
  "/control/stats": "GET",
  "/control/reset": "POST",
  "/control/engine": "POST",
};

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
