import { create, type DescMessage, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import {
  abortReason,
  type CallOptions,
  ChatRequestSchema,
  type ChatResponse,
  type ClientStats,
  Code,
  createCallSignal,
  EmbedRequestSchema,
  type EmbedResponse,
  GenerateRequestSchema,
  type GenerateResponse,
  type InferenceClient,
  type ListModelsResponse,
  type ListRunningResponse,
  ModelwireError,
  ShowModelRequestSchema,
  type ShowModelResponse,
  type VersionResponse,
} from "@modelwire/core";
import { Pool } from "undici";
import { readOllamaStream } from "./ndjson.js";
import { errorFromJson } from "./ollama-error.js";
import { resolveOllamaHost } from "./ollama-host.js";
import {
  chatRequestToJson,
  chatResponseFromJson,
  embedRequestToJson,
  embedResponseFromJson,
  generateRequestToJson,
  generateResponseFromJson,
  listResponseFromJson,
  psResponseFromJson,
  showRequestToJson,
  showResponseFromJson,
  versionResponseFromJson,
} from "./ollama-json.js";
import { TIMEOUT_HEADER } from "./server-call.js";

/** Options of {@link createOllamaClient}. */
export interface OllamaClientOptions {
  /**
   * Ollama's address. Default: `OLLAMA_HOST` read by Ollama's rules (see {@link resolveOllamaHost}), else
   * `http://127.0.0.1:11434`.
   */
  host?: string;
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
  /** Longest NDJSON line accepted. Default 8 MiB. */
  maxLineBytes?: number;
  /** Largest non-streamed response body accepted. Default 64 MiB. */
  maxResponseBytes?: number;
  /** Sent as `Authorization: Bearer <token>`. */
  authToken?: string;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
}

/** The HTTP client: an {@link InferenceClient} plus its resolved address. */
export interface OllamaClient extends InferenceClient {
  /** The resolved base URL (origin and path prefix). */
  readonly baseUrl: string;
}

interface Sent {
  status: number;
  body: import("undici").Dispatcher.ResponseData["body"];
}

/** Errors of a call that certainly never reached a handler (no response byte): safe to retry. */
const RETRYABLE = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CONNECT_TIMEOUT"]);

/**
 * Creates the HTTP client: Ollama's REST API over an undici Pool with keep-alive. Streams are read with the
 * NDJSON decoder; errors map to codes by status (and modelwire's `code` key when the server is modelwire's). A
 * call that failed before any response byte is retried with exponential backoff and full jitter, never past its
 * deadline. The call's remaining time is sent in the `x-modelwire-timeout-ms` header. `close()` cancels calls in
 * flight (`Canceled`) and closes the pool.
 */
export function createOllamaClient(options: OllamaClientOptions = {}): OllamaClient {
  const { origin, basePath } = resolveOllamaHost(options.host);
  const retries = options.retries ?? 3;
  const retryBaseMs = options.retryBaseMs ?? 50;
  const retryMaxMs = options.retryMaxMs ?? 2_000;
  const maxLineBytes = options.maxLineBytes;
  const maxResponseBytes = options.maxResponseBytes ?? 64 * 1024 * 1024;
  const connections = options.connections ?? 16;
  const pool = new Pool(origin, {
    connections,
    pipelining: options.pipelining ?? 1,
    connectTimeout: options.connectTimeoutMs ?? 30_000,
    headersTimeout: options.headersTimeoutMs ?? 30_000,
    bodyTimeout: options.bodyTimeoutMs ?? 30_000,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 4_000,
  });
  const baseHeaders: Record<string, string> = { "content-type": "application/json", ...options.headers };
  if (options.authToken !== undefined) baseHeaders.authorization = `Bearer ${options.authToken}`;
  const lifetime = new AbortController();
  let retried = 0;

  function callSignal(o: CallOptions | undefined) {
    if (lifetime.signal.aborted) throw new ModelwireError("client is closed", Code.FailedPrecondition);
    const signal = o?.signal ? AbortSignal.any([o.signal, lifetime.signal]) : lifetime.signal;
    return createCallSignal({ ...o, signal });
  }

  /** Sends one request, retrying where safe; resolves once a 2xx status arrived, throws a coded error otherwise. */
  async function send(
    method: "GET" | "POST",
    path: string,
    body: string | undefined,
    o: CallOptions | undefined,
    cs: ReturnType<typeof createCallSignal>,
  ): Promise<Sent> {
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { ...baseHeaders, ...o?.metadata };
      if (cs.deadline !== undefined) headers[TIMEOUT_HEADER] = String(Math.max(0, Math.ceil(cs.deadline - Date.now())));
      try {
        const res = await pool.request({ method, path: basePath + path, body, headers, signal: cs.signal });
        if (res.statusCode >= 200 && res.statusCode < 300) return { status: res.statusCode, body: res.body };
        throw await statusError(res.statusCode, res.body);
      } catch (e) {
        if (cs.signal.aborted) throw abortReason(cs.signal);
        const code = (e as { code?: unknown }).code;
        if (attempt < retries && typeof code === "string" && RETRYABLE.has(code)) {
          const delay = Math.random() * Math.min(retryMaxMs, retryBaseMs * 2 ** attempt);
          if (cs.deadline !== undefined && Date.now() + delay >= cs.deadline) throw mapError(e);
          retried++;
          await sleep(delay, cs.signal);
          continue;
        }
        throw mapError(e);
      }
    }
  }

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
      parsed = text ? { error: text.trim() } : undefined;
    }
    return errorFromJson(parsed, status);
  }

  async function unary<T>(
    method: "GET" | "POST",
    path: string,
    body: string | undefined,
    fromJson: (o: unknown) => T,
    o: CallOptions | undefined,
  ): Promise<T> {
    const cs = callSignal(o);
    try {
      const res = await send(method, path, body, o, cs);
      const text = await readText(res.body, maxResponseBytes);
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
    } catch (e) {
      if (cs.signal.aborted) throw abortReason(cs.signal);
      throw mapError(e);
    } finally {
      cs.dispose();
    }
  }

  async function* stream<T extends { done: boolean }>(
    path: string,
    body: string,
    fromJson: (o: unknown) => T,
    o: CallOptions | undefined,
  ): AsyncGenerator<T> {
    const cs = callSignal(o);
    let res: Sent | undefined;
    let complete = false;
    try {
      res = await send("POST", path, body, o, cs);
      yield* readOllamaStream(res.body, fromJson, { maxLineBytes });
      complete = true;
    } catch (e) {
      if (cs.signal.aborted) throw abortReason(cs.signal);
      throw mapError(e);
    } finally {
      cs.dispose();
      if (res) {
        // A finished reply leaves only the chunked terminator: read it so the connection is reused. An abandoned
        // one is destroyed, which closes the connection and makes the server cancel the work.
        if (complete) await res.body.dump({ limit: 64 * 1024, signal: AbortSignal.timeout(1_000) }).catch(() => {});
        else res.body.destroy();
      }
    }
  }

  function init<D extends DescMessage>(schema: D, value: MessageInitShape<D>): MessageShape<D> {
    return create(schema, value);
  }

  return {
    transport: "http",
    baseUrl: origin + basePath,
    generate: (request, o) =>
      stream(
        "/api/generate",
        JSON.stringify(generateRequestToJson(init(GenerateRequestSchema, request))),
        generateResponseFromJson,
        o,
      ) as AsyncIterable<GenerateResponse>,
    chat: (request, o) =>
      stream(
        "/api/chat",
        JSON.stringify(chatRequestToJson(init(ChatRequestSchema, request))),
        chatResponseFromJson,
        o,
      ) as AsyncIterable<ChatResponse>,
    embed: (request, o): Promise<EmbedResponse> =>
      unary(
        "POST",
        "/api/embed",
        JSON.stringify(embedRequestToJson(init(EmbedRequestSchema, request))),
        embedResponseFromJson,
        o,
      ),
    list: (o): Promise<ListModelsResponse> => unary("GET", "/api/tags", undefined, listResponseFromJson, o),
    running: (o): Promise<ListRunningResponse> => unary("GET", "/api/ps", undefined, psResponseFromJson, o),
    show: (request, o): Promise<ShowModelResponse> =>
      unary(
        "POST",
        "/api/show",
        JSON.stringify(showRequestToJson(init(ShowModelRequestSchema, request))),
        showResponseFromJson,
        o,
      ),
    version: (o): Promise<VersionResponse> => unary("GET", "/api/version", undefined, versionResponseFromJson, o),
    stats(): ClientStats {
      const s = pool.stats;
      return {
        transport: "http",
        open: s.connected,
        active: s.running,
        idle: s.free,
        queued: s.queued,
        extra: { pending: s.pending, size: s.size, maxConnections: connections, retries: retried },
      };
    },
    async close() {
      if (!lifetime.signal.aborted) lifetime.abort(new ModelwireError("client closed", Code.Canceled));
      await pool.destroy().catch(() => {});
    },
  };
}

/** Maps an undici or socket error to a coded ModelwireError. */
function mapError(e: unknown): ModelwireError {
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

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = () => {
      clearTimeout(t);
      reject(abortReason(signal));
    };
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
