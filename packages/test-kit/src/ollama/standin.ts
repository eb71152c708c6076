/**
 * A stand-in Ollama for tests and benchmarks, written from Ollama's public `docs/api.md` only — never from
 * modelwire's server or engine. It answers `/api/generate` and `/api/chat` (NDJSON streams or one JSON object),
 * `/api/tags`, `/api/show`, `/api/ps`, `/api/version` and `GET /` like an Ollama would, with configurable
 * delays, several tokens per chunk, a slot limit (Ollama's `OLLAMA_NUM_PARALLEL`) and durations it measures on
 * its own clock. It runs in-process ({@link startOllamaStandIn}) or as a separate process (`main.ts`,
 * {@link spawnOllamaStandIn}).
 *
 * @module
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { chunkTokens, conversationText, corruptOne, promptTokenCount, type ReplyInput, replyTokens } from "./reply.js";

/** How the stand-in behaves. Every delay is milliseconds. */
export interface OllamaStandInOptions {
  /** Interface to bind. Default 127.0.0.1. */
  host?: string;
  /** Port. Default 0 (a free one). */
  port?: number;
  /** The models it has. Default `["standin:latest"]`. */
  models?: readonly string[];
  /** Prompt evaluation time: from the model being ready to the first token. Default 0. */
  ttftMs?: number;
  /** Time per generated token after the first. Default 0. */
  interTokenMs?: number;
  /** Tokens per streamed chunk (a chunk is sent when its last token is due). Default 1. */
  tokensPerChunk?: number;
  /** Tokens in a reply when the request sets no positive `num_predict`. Default 16. */
  defaultTokens?: number;
  /** Time to load a model on its first use, and again after an unload. Default 0. */
  loadMs?: number;
  /** Requests generating at once; the rest wait in arrival order (the wait counts into `load_duration`). */
  parallel?: number;
  /** The N-th completion (1-based) gets one token replaced: a deliberate fault for consistency checks. */
  corruptRequest?: number;
  /** What `/api/version` answers. Default `"0.0.0-standin"`. */
  version?: string;
  /**
   * After this many chunks of a streamed completion, send nothing more and keep the connection open until the
   * client leaves, while every other path keeps answering: a hung generation on a server whose checks pass.
   */
  stallAfter?: number;
}

/** What the stand-in has done (also served at `GET /standin/stats`, a path of its own). */
export interface OllamaStandInStats {
  /** HTTP requests received. */
  requests: number;
  /** Completions started (generate and chat with a prompt). */
  completions: number;
  /** Completions holding a slot now. */
  inFlight: number;
  /** Completions waiting for a slot now. */
  queued: number;
  /** Most completions that held a slot at once. */
  peakInFlight: number;
  /** Model loads. */
  loads: number;
  /** Completions whose client went away before the end. */
  cancelled: number;
}

/** A running stand-in. */
export interface OllamaStandIn {
  /** `http://HOST:PORT`. */
  readonly url: string;
  readonly port: number;
  stats(): OllamaStandInStats;
  /** Stops listening and cuts open connections. */
  close(): Promise<void>;
}

const MAX_BODY = 16 * 1024 * 1024;
const now = () => performance.now();
const ns = (ms: number) => Math.max(0, Math.round(ms * 1e6));

/** Starts the stand-in; resolves once it listens. */
export async function startOllamaStandIn(options: OllamaStandInOptions = {}): Promise<OllamaStandIn> {
  const o = {
    models: options.models ?? ["standin:latest"],
    ttftMs: options.ttftMs ?? 0,
    interTokenMs: options.interTokenMs ?? 0,
    tokensPerChunk: options.tokensPerChunk ?? 1,
    defaultTokens: options.defaultTokens ?? 16,
    loadMs: options.loadMs ?? 0,
    parallel: options.parallel ?? Number.POSITIVE_INFINITY,
    version: options.version ?? "0.0.0-standin",
  };
  const stats: OllamaStandInStats = {
    requests: 0,
    completions: 0,
    inFlight: 0,
    queued: 0,
    peakInFlight: 0,
    loads: 0,
    cancelled: 0,
  };
  /** Models loaded (or loading): the promise settles when the load is done. */
  const loaded = new Map<string, Promise<void>>();
  const waiting: Array<() => void> = [];
  let nonce = 0;
  const sockets = new Set<Socket>();

  const canonical = (name: string) => (name.includes(":") ? name : `${name}:latest`);
  const known = (name: string) => o.models.some((m) => canonical(m) === canonical(name));

  function acquire(signal: AbortSignal): Promise<void> {
    if (stats.inFlight < o.parallel) {
      take();
      return Promise.resolve();
    }
    stats.queued++;
    return new Promise<void>((resolve, reject) => {
      const go = () => {
        signal.removeEventListener("abort", gone);
        stats.queued--;
        take();
        resolve();
      };
      const gone = () => {
        const i = waiting.indexOf(go);
        if (i >= 0) waiting.splice(i, 1);
        stats.queued--;
        reject(new Error("client went away"));
      };
      waiting.push(go);
      signal.addEventListener("abort", gone, { once: true });
    });
  }
  function take() {
    stats.inFlight++;
    if (stats.inFlight > stats.peakInFlight) stats.peakInFlight = stats.inFlight;
  }
  function release() {
    stats.inFlight--;
    waiting.shift()?.();
  }
  function ensureLoaded(model: string, signal: AbortSignal): Promise<void> {
    const key = canonical(model);
    let p = loaded.get(key);
    if (!p) {
      stats.loads++;
      p = sleep(o.loadMs);
      loaded.set(key, p);
    }
    return raceAbort(p, signal);
  }

  const server: Server = createServer((req, res) => {
    stats.requests++;
    handle(req, res).catch(() => res.destroy());
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const t0 = now();
    const path = (req.url ?? "/").split("?")[0];
    const route = `${req.method} ${path}`;
    if (route === "GET /" || route === "HEAD /") return text(res, 200, "Ollama is running");
    if (route === "GET /api/version") return json(res, 200, { version: o.version });
    if (route === "GET /api/tags") return json(res, 200, { models: o.models.map(tagEntry) });
    if (route === "GET /api/ps") {
      const expires_at = new Date(Date.now() + 300_000).toISOString();
      const models = o.models
        .filter((m) => loaded.has(canonical(m)))
        .map((m) => ({ ...tagEntry(m), expires_at, size_vram: 1_000_000 }));
      return json(res, 200, { models });
    }
    if (route === "GET /standin/stats") return json(res, 200, { ...stats });
    if (route !== "POST /api/generate" && route !== "POST /api/chat" && route !== "POST /api/show") {
      const exists = ["/api/generate", "/api/chat", "/api/show", "/api/tags", "/api/ps", "/api/version"];
      return exists.includes(path) ? text(res, 405, "405 method not allowed") : text(res, 404, "404 page not found");
    }
    const raw = await readBody(req);
    if (raw === undefined) return json(res, 413, { error: "request body too large" });
    if (raw.trim() === "") return json(res, 400, { error: "missing request body" });
    let body: Record<string, unknown>;
    try {
      const v = JSON.parse(raw) as unknown;
      if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("body must be a JSON object");
      body = v as Record<string, unknown>;
    } catch (e) {
      return json(res, 400, { error: (e as Error).message });
    }
    const model = typeof body.model === "string" ? body.model : "";
    if (model === "") return json(res, 400, { error: "model is required" });
    if (!known(model)) return json(res, 404, { error: `model "${model}" not found, try pulling it first` });
    if (path === "/api/show") return json(res, 200, showEntry(model));
    const chat = path === "/api/chat";
    const messages = Array.isArray(body.messages) ? (body.messages as Array<Record<string, unknown>>) : [];
    const prompt = chat ? conversationText(messages) : typeof body.prompt === "string" ? body.prompt : "";
    const empty = chat ? messages.length === 0 : prompt === "";
    const abort = new AbortController();
    res.on("close", () => abort.abort());
    if (empty) return loadOrUnload(res, chat, model, body, abort.signal);
    return complete(res, chat, model, body, prompt, t0, abort.signal);
  }

  async function loadOrUnload(
    res: ServerResponse,
    chat: boolean,
    model: string,
    body: Record<string, unknown>,
    signal: AbortSignal,
  ) {
    const unload = body.keep_alive === 0 || body.keep_alive === "0" || body.keep_alive === "0s";
    if (unload) loaded.delete(canonical(model));
    else await ensureLoaded(model, signal);
    const reply = { model, created_at: new Date().toISOString(), done: true, done_reason: unload ? "unload" : "load" };
    json(res, 200, chat ? { ...reply, message: { role: "assistant", content: "" } } : { ...reply, response: "" });
  }

  async function complete(
    res: ServerResponse,
    chat: boolean,
    model: string,
    body: Record<string, unknown>,
    prompt: string,
    t0: number,
    signal: AbortSignal,
  ) {
    const opts = (typeof body.options === "object" && body.options !== null ? body.options : {}) as Record<
      string,
      unknown
    >;
    const input: ReplyInput = {
      model: canonical(model),
      prompt,
      seed: typeof opts.seed === "number" ? opts.seed : undefined,
      temperature: typeof opts.temperature === "number" ? opts.temperature : undefined,
      numPredict: typeof opts.num_predict === "number" ? opts.num_predict : undefined,
    };
    const seq = ++stats.completions;
    let tokens = replyTokens(input, o.defaultTokens, ++nonce);
    if (options.corruptRequest === seq) tokens = corruptOne(tokens);
    const chunks = chunkTokens(tokens, o.tokensPerChunk);
    const k = Math.max(1, Math.floor(o.tokensPerChunk));
    const stream = body.stream !== false;
    try {
      await acquire(signal);
    } catch {
      stats.cancelled++;
      return;
    }
    try {
      await ensureLoaded(model, signal);
      const tLoaded = now();
      await sleepUntil(tLoaded + o.ttftMs, signal);
      const tPrompt = now();
      const piece = (content: string) =>
        chat
          ? { model, created_at: new Date().toISOString(), message: { role: "assistant", content }, done: false }
          : { model, created_at: new Date().toISOString(), response: content, done: false };
      if (stream) res.writeHead(200, { "Content-Type": "application/x-ndjson" });
      for (let j = 0; j < chunks.length; j++) {
        const lastToken = Math.min((j + 1) * k, tokens.length) - 1;
        await sleepUntil(tPrompt + lastToken * o.interTokenMs, signal);
        if (options.stallAfter !== undefined && j >= options.stallAfter) await raceAbort(new Promise(() => {}), signal);
        if (stream) res.write(`${JSON.stringify(piece(chunks[j]))}\n`);
      }
      const tEnd = now();
      const final = {
        ...piece(stream ? "" : tokens.join("")),
        done: true,
        done_reason: input.numPredict !== undefined && input.numPredict > 0 ? "length" : "stop",
        total_duration: ns(tEnd - t0),
        load_duration: ns(tLoaded - t0),
        prompt_eval_count: promptTokenCount(prompt),
        prompt_eval_duration: ns(tPrompt - tLoaded),
        eval_count: tokens.length,
        eval_duration: ns(tEnd - tPrompt),
      };
      if (stream) res.end(`${JSON.stringify(final)}\n`);
      else json(res, 200, final);
    } catch {
      stats.cancelled++;
      res.destroy();
    } finally {
      release();
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  const host = a.family === "IPv6" ? `[${a.address}]` : a.address;
  return {
    url: `http://${host}:${a.port}`,
    port: a.port,
    stats: () => ({ ...stats }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

function tagEntry(name: string) {
  return {
    name,
    model: name,
    modified_at: "2024-01-01T00:00:00Z",
    size: 1_000_000,
    digest: "0".repeat(64),
    details: {
      format: "gguf",
      family: "standin",
      families: ["standin"],
      parameter_size: "1M",
      quantization_level: "Q4_0",
    },
  };
}

function showEntry(name: string) {
  return {
    modelfile: `FROM ${name}\n`,
    parameters: "",
    template: "{{ .Prompt }}",
    details: tagEntry(name).details,
    model_info: { "general.architecture": "standin" },
    capabilities: ["completion"],
  };
}

function json(res: ServerResponse, status: number, body: unknown) {
  const t = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(t) });
  res.end(t);
}

function text(res: ServerResponse, status: number, body: string) {
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

/** The body as text, or undefined past {@link MAX_BODY} (the rest is not read). */
function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        resolve(undefined);
        req.destroy();
        return;
      }
      parts.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
    req.on("error", reject);
  });
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();
}

/** Waits until `performance.now()` reaches `t` (at once when it has); rejects when `signal` fires. */
function sleepUntil(t: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(new Error("client went away"));
  const d = t - now();
  if (d <= 0) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    // Node's timers run on the event loop's cached clock and can fire a millisecond or so before `t` by this
    // clock; the phase durations this stand-in reports must never be shorter than configured, so sleep again.
    let timer = setTimeout(function check() {
      const left = t - now();
      if (left > 0) {
        timer = setTimeout(check, Math.ceil(left));
        return;
      }
      signal.removeEventListener("abort", gone);
      resolve();
    }, d);
    const gone = () => {
      clearTimeout(timer);
      reject(new Error("client went away"));
    };
    signal.addEventListener("abort", gone, { once: true });
  });
}

function raceAbort(p: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(new Error("client went away"));
  return new Promise<void>((resolve, reject) => {
    const gone = () => reject(new Error("client went away"));
    signal.addEventListener("abort", gone, { once: true });
    p.then(() => {
      signal.removeEventListener("abort", gone);
      resolve();
    }, reject);
  });
}
