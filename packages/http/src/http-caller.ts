import type { Socket } from "node:net";
import type { ConnectionOptions } from "node:tls";
import {
  abortReason,
  type CallOptions,
  type CallSignal,
  type ClientStats,
  Code,
  clampTimerMs,
  createCallSignal,
  createSocketTally,
  ModelwireError,
  setLongTimeout,
} from "@modelwire/core";
import { buildConnector, type Dispatcher, Pool } from "undici";
import { TIMEOUT_HEADER } from "./server-call.js";

/** The pool and retry knobs both HTTP clients share (Ollama's API and the OpenAI API). */
export interface HttpCallerOptions {
  /** Connections in the pool. Default 16. */
  connections?: number;
  /** Requests pipelined on one connection. Default 1 (no pipelining). */
  pipelining?: number;
  /** Time to establish a connection. Default 30 s. */
  connectTimeoutMs?: number;
  /** Time to receive the response headers. Default 30 s (a model's time to first token counts here). */
  headersTimeoutMs?: number;
  /** Longest pause between two body chunks. Default 30 s. */
  bodyTimeoutMs?: number;
  /** Idle time before a pooled connection is closed. Default 4 s (undici's). */
  keepAliveTimeoutMs?: number;
  /** Retries of a call that failed before any response byte (refused, reset, connect timeout). Default 3. */
  retries?: number;
  /** First retry delay; each retry doubles it, with full jitter. Default 50 ms. */
  retryBaseMs?: number;
  /** Largest retry delay. Default 2 s. */
  retryMaxMs?: number;
  /** Sent as `Authorization: Bearer <token>`. */
  authToken?: string;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  /** Largest non-streamed response body accepted. Default 64 MiB. */
  maxResponseBytes?: number;
  /** TLS settings for an `https://` server (e.g. a private CA). */
  tls?: Pick<ConnectionOptions, "ca" | "cert" | "key" | "rejectUnauthorized" | "servername">;
}

/** A response whose status was 2xx. */
export interface Sent {
  status: number;
  body: Dispatcher.ResponseData["body"];
}

/** Sends requests over one pool; what a client adds is its paths, bodies and reply shapes. */
export interface HttpCaller {
  /** The call's signal: the caller's, the client's lifetime, and the deadline; throws once the client is closed. */
  callSignal(o: CallOptions | undefined): CallSignal;
  /** Sends one request, retrying where safe; resolves once a 2xx status arrived, throws a coded error otherwise. */
  send(
    method: "GET" | "POST",
    path: string,
    body: string | undefined,
    o: CallOptions | undefined,
    cs: CallSignal,
  ): Promise<Sent>;
  /**
   * One request with a JSON reply, converted with `fromJson` (invalid JSON or a shape it rejects is `Internal`, a
   * body over `maxResponseBytes` `ResourceExhausted`).
   */
  json<T>(
    method: "GET" | "POST",
    path: string,
    body: string | undefined,
    fromJson: (o: unknown) => T,
    o: CallOptions | undefined,
  ): Promise<T>;
  /**
   * One request with a streamed reply, read by `read`. Leaving the iteration early (or a failure) destroys the
   * body, which closes the connection and makes the server cancel the work; a finished one is reused, also when
   * `read` stops at the final chunk before the body's end: the rest of the body is read then. With `final`, a
   * consumer that stops right after the chunk it calls final (a server that ends its own reply there, without
   * pulling the reader to its end) has finished too, and keeps the connection.
   */
  stream<T>(
    path: string,
    body: string,
    read: (body: AsyncIterable<Uint8Array>) => AsyncIterable<T>,
    o: CallOptions | undefined,
    final?: (chunk: T) => boolean,
  ): AsyncGenerator<T>;
  /** Pool figures as {@link ClientStats}. */
  stats(transport: string): ClientStats;
  /** Cancels calls in flight (`Canceled`) and destroys the pool. */
  close(): Promise<void>;
}

/** Errors of a call that certainly never reached a handler (no response byte): safe to retry. */
const RETRYABLE = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CONNECT_TIMEOUT"]);

/**
 * Creates the request layer of an HTTP client: an undici `Pool` with keep-alive against `origin`; the call's
 * remaining time in the `x-modelwire-timeout-ms` header; a call that failed before any response byte retried with
 * exponential backoff and full jitter, never past its deadline; a non-2xx reply turned into a coded error by
 * `errorFromBody` (its body parsed as JSON when it is JSON, else the text).
 */
export function createHttpCaller(
  origin: string,
  options: HttpCallerOptions,
  errorFromBody: (body: unknown, status: number) => ModelwireError,
): HttpCaller {
  const retries = options.retries ?? 3;
  const retryBaseMs = options.retryBaseMs ?? 50;
  const retryMaxMs = options.retryMaxMs ?? 2_000;
  const connections = options.connections ?? 16;
  // Every connection goes through undici's own connector (TLS options included) and is tallied, so the client can
  // tell the bytes it moved (what a benchmark of a server it cannot read counts).
  const sockets = createSocketTally<Socket>();
  const connector = buildConnector({ timeout: clampTimerMs(options.connectTimeoutMs ?? 30_000), ...options.tls });
  const pool = new Pool(origin, {
    connections,
    pipelining: options.pipelining ?? 1,
    connect(opts, callback) {
      connector(opts, (err, socket) => {
        if (socket) sockets.add(socket as Socket);
        (callback as (e: Error | null, s: typeof socket | null) => void)(err, socket);
      });
    },
    // undici arms timers with these (0 turns one off): clamped to Node's timer limit.
    headersTimeout: clampTimerMs(options.headersTimeoutMs ?? 30_000),
    bodyTimeout: clampTimerMs(options.bodyTimeoutMs ?? 30_000),
    keepAliveTimeout: clampTimerMs(options.keepAliveTimeoutMs ?? 4_000),
  });
  const baseHeaders: Record<string, string> = { "content-type": "application/json", ...options.headers };
  if (options.authToken !== undefined) baseHeaders.authorization = `Bearer ${options.authToken}`;
  const lifetime = new AbortController();
  const maxResponseBytes = options.maxResponseBytes ?? 64 * 1024 * 1024;
  let retried = 0;
  // Every socket the pool connects (a new stream's, or one replacing a closed keep-alive connection).
  let opened = 0;
  pool.on("connect", () => {
    opened++;
  });

  async function statusError(status: number, body: Sent["body"]): Promise<ModelwireError> {
    let text = "";
    try {
      text = await readText(body, 64 * 1024);
    } catch {
      // The status alone still tells the caller what happened.
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text.trim() || undefined;
    }
    return errorFromBody(parsed, status);
  }

  function callSignal(o: CallOptions | undefined): CallSignal {
    if (lifetime.signal.aborted) throw new ModelwireError("client is closed", Code.FailedPrecondition);
    const signal = o?.signal ? AbortSignal.any([o.signal, lifetime.signal]) : lifetime.signal;
    return createCallSignal({ ...o, signal });
  }

  const caller: HttpCaller = {
    callSignal,
    async json(method, path, body, fromJson, o) {
      const cs = callSignal(o);
      try {
        const res = await caller.send(method, path, body, o, cs);
        return await readJsonReply(res.body, maxResponseBytes, fromJson);
      } catch (e) {
        if (cs.signal.aborted) throw abortReason(cs.signal);
        throw mapHttpError(e);
      } finally {
        cs.dispose();
      }
    },
    async *stream(path, body, read, o, final) {
      const cs = callSignal(o);
      let res: Sent | undefined;
      let complete = false;
      try {
        res = await caller.send("POST", path, body, o, cs);
        // The reader's iterator sees the body's errors; once it has stopped, an abandoned body's abort error (see
        // releaseBody) has no other listener and must not become an uncaught exception.
        res.body.on("error", noop);
        for await (const chunk of read(keptOnReturn(res.body))) {
          if (final?.(chunk)) complete = true;
          yield chunk;
        }
        complete = true;
      } catch (e) {
        if (cs.signal.aborted) throw abortReason(cs.signal);
        throw mapHttpError(e);
      } finally {
        cs.dispose();
        if (res) await releaseBody(res, complete, maxResponseBytes);
      }
    },
    async send(method, path, body, o, cs) {
      for (let attempt = 0; ; attempt++) {
        const headers: Record<string, string> = { ...baseHeaders, ...o?.metadata };
        if (cs.deadline !== undefined) {
          headers[TIMEOUT_HEADER] = String(Math.max(0, Math.ceil(cs.deadline - Date.now())));
        }
        try {
          const res = await pool.request({ method, path, body, headers, signal: cs.signal });
          if (res.statusCode >= 200 && res.statusCode < 300) return { status: res.statusCode, body: res.body };
          throw await statusError(res.statusCode, res.body);
        } catch (e) {
          if (cs.signal.aborted) throw abortReason(cs.signal);
          const code = (e as { code?: unknown }).code;
          if (attempt < retries && typeof code === "string" && RETRYABLE.has(code)) {
            const delay = Math.random() * Math.min(retryMaxMs, retryBaseMs * 2 ** attempt);
            if (cs.deadline !== undefined && Date.now() + delay >= cs.deadline) throw mapHttpError(e);
            retried++;
            await sleep(delay, cs.signal);
            continue;
          }
          throw mapHttpError(e);
        }
      }
    },
    stats(transport) {
      const s = pool.stats;
      return {
        transport,
        open: s.connected,
        active: s.running,
        idle: s.free,
        queued: s.queued,
        opened,
        extra: { pending: s.pending, size: s.size, maxConnections: connections, retries: retried, ...sockets.bytes() },
      };
    },
    async close() {
      if (!lifetime.signal.aborted) lifetime.abort(new ModelwireError("client closed", Code.Canceled));
      await pool.destroy().catch(() => {});
    },
  };
  return caller;
}

/** Maps an undici or socket error to a coded ModelwireError. */
function mapHttpError(e: unknown): ModelwireError {
  if (e instanceof ModelwireError) return e;
  const code = (e as { code?: unknown }).code;
  if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT") {
    return new ModelwireError(`${code}: ${(e as Error).message}`, Code.DeadlineExceeded, { errno: code }, e);
  }
  if (code === "UND_ERR_RES_CONTENT_LENGTH_MISMATCH" || code === "UND_ERR_REQ_CONTENT_LENGTH_MISMATCH") {
    return new ModelwireError(`${code}: ${(e as Error).message}`, Code.Unavailable, { errno: code }, e);
  }
  return ModelwireError.from(e, Code.Unavailable);
}

/** Reads a body as UTF-8 text up to `limit` bytes (ResourceExhausted beyond). */
async function readText(body: Sent["body"], limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      body.destroy();
      throw new ModelwireError(`response body exceeds ${limit} bytes`, Code.ResourceExhausted, {
        limit: String(limit),
      });
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, size).toString("utf8");
}

/**
 * Reads a whole JSON reply and converts it with `fromJson`: invalid JSON or a shape `fromJson` rejects is
 * `Internal` (the server broke the contract), a body over `limit` is `ResourceExhausted`.
 */
async function readJsonReply<T>(body: Sent["body"], limit: number, fromJson: (o: unknown) => T): Promise<T> {
  const text = await readText(body, limit);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ModelwireError(`response is not valid JSON: ${(e as Error).message}`, Code.Internal, {}, e);
  }
  try {
    return fromJson(parsed);
  } catch (e) {
    throw new ModelwireError(`malformed response: ${ModelwireError.from(e).rawMessage}`, Code.Internal, {}, e);
  }
}

/**
 * The body as the reader iterates it, not destroyed when the reader stops early: a reader returns at the final
 * chunk, often before the body's own end (HTTP/1.1's last chunk) has arrived, and destroying the body then would
 * close the connection. {@link releaseBody} reads the rest, or destroys the body when the stream did not complete.
 */
function noop(): void {}

function keptOnReturn(body: Sent["body"]): AsyncIterable<Uint8Array> {
  return { [Symbol.asyncIterator]: () => body.iterator({ destroyOnReturn: false }) };
}

/**
 * Releases a streamed reply's body: a finished one leaves only the chunked terminator, read so the connection is
 * reused (undici's dump limit counts the whole body, so it is the client's reply limit; a server that sends more
 * after the final chunk is cut after a second); an abandoned one is destroyed, which closes the connection and
 * makes the server cancel the work.
 */
async function releaseBody(res: Sent, complete: boolean, limit: number): Promise<void> {
  if (!complete) {
    res.body.destroy();
    return;
  }
  // The second is judged after this process has read its sockets: a timer that fires late (this process blocked by
  // GC or a starved CPU) runs before the event loop's poll phase, where the body's end may already be waiting;
  // setImmediate comes after that phase.
  const ac = new AbortController();
  const timer = setTimeout(() => setImmediate(() => ac.abort()), 1_000);
  timer.unref();
  try {
    await res.body.dump({ limit, signal: ac.signal });
  } catch {
    // cut: the connection is closed
  } finally {
    clearTimeout(timer);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = () => {
      t.clear();
      reject(abortReason(signal));
    };
    const t = setLongTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
