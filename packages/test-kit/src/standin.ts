/**
 * A stand-in LLM server for tests, written from the public API documentation only (Ollama's `docs/api.md` for
 * `/api/*`, OpenAI's API reference for `/v1/*`), never from modelwire's own server. It answers with a fixed
 * script, so a test knows every byte the real thing would send: tokens, a finish reason, usage, tool calls
 * streamed as fragments the way OpenAI streams them, error events, and streams cut short.
 *
 * @module
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** What the stand-in streams for one completion request. */
export interface StandInScript {
  /** The content tokens, one per chunk. */
  tokens: readonly string[];
  /** OpenAI's `finish_reason` (Ollama's `done_reason`). Default `"stop"`. */
  finishReason?: string;
  /** Tool calls, each streamed as OpenAI does: id and name first, then the arguments text in the given pieces. */
  toolCalls?: ReadonlyArray<{ id: string; name: string; argumentPieces: readonly string[] }>;
  /** After this many content chunks, send an error event (OpenAI) or error line (Ollama) and end. */
  failAfter?: number;
  /** After this many content chunks, end the body without `[DONE]` / without `done: true`. */
  truncateAfter?: number;
  /** Delay before each chunk. Default 0. */
  delayMs?: number;
}

/** Options of {@link startStandIn}. */
export interface StandInOptions {
  /** Serve `/v1/*` (an Ollama with OpenAI compatibility, or any OpenAI-compatible server). Default true. */
  openai?: boolean;
  /** Serve `/api/*` (Ollama's native API). Default true. */
  ollama?: boolean;
  /** The models it has. Default `["standin:latest"]`. */
  models?: readonly string[];
  /** The script for a request body (called for every completion request). Default four fixed tokens. */
  script?: (body: Record<string, unknown>, path: string) => StandInScript;
  /** SSE line ending: `"\n"` or `"\r\n"` (both are valid SSE). Default `"\n"`. */
  lineEnding?: "\n" | "\r\n";
  /** Send `: keep-alive` comments between events and write each event in two pieces. Default false. */
  awkwardFraming?: boolean;
  /** Require `Authorization: Bearer <key>` (401 in OpenAI's shape otherwise). */
  apiKey?: string;
  /** Answer every completion request with this status and an OpenAI error body (e.g. 429). */
  failStatus?: number;
}

/** A running stand-in. */
export interface StandIn {
  /** `http://127.0.0.1:PORT` (Ollama's base; the OpenAI base is this plus `/v1`). */
  url: string;
  /** Every request it received: method, path and parsed JSON body. */
  requests: Array<{ method: string; path: string; body: Record<string, unknown> | undefined }>;
  /** Requests whose reply is still streaming. */
  readonly open: number;
  close(): Promise<void>;
}

/** The tokens of the default script. */
export const STANDIN_TOKENS = ["Hello", " from", " the", " stand-in"] as const;

const CREATED = 1_700_000_000;

/** Starts the stand-in on 127.0.0.1, a free port. */
export async function startStandIn(options: StandInOptions = {}): Promise<StandIn> {
  const models = options.models ?? ["standin:latest"];
  const script = options.script ?? (() => ({ tokens: STANDIN_TOKENS }));
  const nl = options.lineEnding ?? "\n";
  const requests: StandIn["requests"] = [];
  let open = 0;
  const server: Server = createServer((req, res) => {
    void handle(req, res).catch(() => res.destroy());
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const path = (req.url ?? "/").split("?")[0];
    const raw = await readAll(req);
    let body: Record<string, unknown> | undefined;
    try {
      body = raw.length > 0 ? JSON.parse(raw) : undefined;
    } catch {
      return openaiError(res, 400, "We could not parse the JSON body of your request.", "invalid_request_error");
    }
    requests.push({ method: req.method ?? "GET", path, body });
    const isV1 = path.startsWith("/v1/");
    if (isV1 && options.openai === false) return notFound(res);
    if (!isV1 && options.ollama === false) return notFound(res);
    if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      return openaiError(res, 401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key");
    }
    const model = typeof body?.model === "string" ? body.model : "";
    const known = models.includes(model) || models.includes(`${model}:latest`);
    switch (`${req.method} ${path}`) {
      case "GET /api/version":
        return json(res, 200, { version: "0.0.0-standin" });
      case "GET /api/tags":
        return json(res, 200, { models: models.map((name) => ({ name, model: name, size: 1, digest: "0" })) });
      case "GET /v1/models":
        return json(res, 200, {
          object: "list",
          data: models.map((id) => ({ id, object: "model", created: CREATED, owned_by: "standin" })),
        });
      case "POST /api/generate":
      case "POST /api/chat":
        if (!known) return json(res, 404, { error: `model "${model}" not found, try pulling it first` });
        return ollamaStream(res, path === "/api/chat", model, body ?? {}, script(body ?? {}, path));
      case "POST /v1/chat/completions":
      case "POST /v1/completions":
        if (options.failStatus !== undefined) {
          return openaiError(
            res,
            options.failStatus,
            "Rate limit reached for requests",
            "requests",
            "rate_limit_exceeded",
          );
        }
        if (!known) {
          return openaiError(
            res,
            404,
            `The model \`${model}\` does not exist`,
            "invalid_request_error",
            "model_not_found",
          );
        }
        return sseStream(res, path === "/v1/chat/completions", model, body ?? {}, script(body ?? {}, path));
      default:
        if (req.method === "GET" && path.startsWith("/v1/models/")) {
          const id = decodeURIComponent(path.slice("/v1/models/".length));
          if (!models.includes(id))
            return openaiError(
              res,
              404,
              `The model \`${id}\` does not exist`,
              "invalid_request_error",
              "model_not_found",
            );
          return json(res, 200, { id, object: "model", created: CREATED, owned_by: "standin" });
        }
        return notFound(res);
    }
  }

  /** Ollama's NDJSON stream (docs/api.md): one object per line, the last with `done: true` and the counts. */
  async function ollamaStream(res: ServerResponse, chat: boolean, model: string, body: object, s: StandInScript) {
    open++;
    res.on("close", () => open--);
    const created_at = new Date(CREATED * 1000).toISOString();
    const piece = (text: string) =>
      chat
        ? { model, created_at, message: { role: "assistant", content: text }, done: false }
        : { model, created_at, response: text, done: false };
    res.writeHead(200, { "Content-Type": "application/x-ndjson" });
    for (let i = 0; i < s.tokens.length; i++) {
      if (res.destroyed) return;
      if (s.failAfter === i) return void res.end(`${JSON.stringify({ error: "the stand-in failed" })}\n`);
      if (s.truncateAfter === i) return void res.end();
      if (s.delayMs) await sleep(s.delayMs);
      res.write(`${JSON.stringify(piece(s.tokens[i]))}\n`);
    }
    const last = {
      ...piece(""),
      done: true,
      done_reason: s.finishReason ?? "stop",
      prompt_eval_count: 1,
      eval_count: s.tokens.length,
    };
    res.end(`${JSON.stringify(last)}\n`);
    void body;
  }

  /** OpenAI's SSE stream (API reference, "The chat completion chunk object" / streamed completions). */
  async function sseStream(
    res: ServerResponse,
    chat: boolean,
    model: string,
    body: Record<string, unknown>,
    s: StandInScript,
  ) {
    open++;
    res.on("close", () => open--);
    const usageWanted = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    const base = {
      id: chat ? "chatcmpl-standin" : "cmpl-standin",
      object: chat ? "chat.completion.chunk" : "text_completion",
      created: CREATED,
      model,
    };
    const extra = usageWanted ? { usage: null } : {};
    const chunk = (choice: Record<string, unknown>) => ({ ...base, choices: [{ index: 0, ...choice }], ...extra });
    if (body.stream !== true) {
      const text = s.tokens.join("");
      const usage = { prompt_tokens: 1, completion_tokens: s.tokens.length, total_tokens: 1 + s.tokens.length };
      const choice = chat
        ? { index: 0, message: { role: "assistant", content: text }, finish_reason: s.finishReason ?? "stop" }
        : { index: 0, text, finish_reason: s.finishReason ?? "stop" };
      return json(res, 200, {
        ...base,
        object: chat ? "chat.completion" : "text_completion",
        choices: [choice],
        usage,
      });
    }
    res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
    const send = async (value: unknown) => {
      const text = `data: ${typeof value === "string" ? value : JSON.stringify(value)}${nl}${nl}`;
      if (options.awkwardFraming) {
        res.write(`: keep-alive${nl}${nl}`);
        const half = Math.floor(text.length / 2);
        res.write(text.slice(0, half));
        await sleep(1);
        res.write(text.slice(half));
      } else res.write(text);
    };
    if (chat) await send(chunk({ delta: { role: "assistant", content: "" }, finish_reason: null }));
    for (let i = 0; i < s.tokens.length; i++) {
      if (res.destroyed) return;
      if (s.failAfter === i) {
        await send({ error: { message: "the stand-in failed", type: "server_error", param: null, code: null } });
        return void res.end();
      }
      if (s.truncateAfter === i) return void res.end();
      if (s.delayMs) await sleep(s.delayMs);
      await send(
        chunk(
          chat ? { delta: { content: s.tokens[i] }, finish_reason: null } : { text: s.tokens[i], finish_reason: null },
        ),
      );
    }
    for (const [index, call] of (s.toolCalls ?? []).entries()) {
      await send(
        chunk({
          delta: {
            tool_calls: [{ index, id: call.id, type: "function", function: { name: call.name, arguments: "" } }],
          },
          finish_reason: null,
        }),
      );
      for (const p of call.argumentPieces)
        await send(chunk({ delta: { tool_calls: [{ index, function: { arguments: p } }] }, finish_reason: null }));
    }
    const finish = s.finishReason ?? (s.toolCalls?.length ? "tool_calls" : "stop");
    await send(chunk(chat ? { delta: {}, finish_reason: finish } : { text: "", finish_reason: finish }));
    if (usageWanted) {
      await send({
        ...base,
        choices: [],
        usage: { prompt_tokens: 1, completion_tokens: s.tokens.length, total_tokens: 1 + s.tokens.length },
      });
    }
    await send("[DONE]");
    res.end();
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get open() {
      return open;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function json(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

function openaiError(res: ServerResponse, status: number, message: string, type: string, code: string | null = null) {
  json(res, status, { error: { message, type, param: null, code } });
}

function notFound(res: ServerResponse) {
  res.writeHead(404, { "Content-Type": "text/plain" });
  res.end("404 page not found");
}

function readAll(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}
