/**
 * Upstream mode's OpenAI path: when the upstream serves the OpenAI API itself (a real Ollama does, at `/v1`), the
 * gateway forwards `/v1/*` calls to it unchanged, so every field the upstream understands (logprobs, tool choice,
 * reasoning fields) works exactly as it does there; otherwise the routes translate onto the engine (Ollama's
 * `/api/chat` and `/api/generate`). Brings undici: the gateway loads it only in upstream mode.
 *
 * @module
 */

import type { ServerResponse } from "node:http";
import { Code, clampTimerMs, httpStatusToCode, ModelwireError } from "@modelwire/core";
import { Pool } from "undici";
import type { CallContext } from "../route-table.js";
import type { OpenAIForwarder } from "./routes.js";

/** Options of {@link createOpenAIForwarder}. */
export interface OpenAIForwarderOptions {
  /** The upstream's base URL (its OpenAI API is at `/v1` below it), e.g. `http://127.0.0.1:11434`. */
  upstream: string;
  /** Connections to the upstream. Default 64. */
  connections?: number;
  /**
   * Takes a slot of the gateway's admission for a completion or embedding call; resolves to its release, rejects
   * with `ResourceExhausted` when busy. Default: no limit.
   */
  acquire?: (signal: AbortSignal) => Promise<() => void>;
  /** How long a probe's answer (has `/v1` or not) is trusted. Default 30 s. */
  probeTtlMs?: number;
  /** Time to the upstream's response headers. Default 300 s (a model loading counts). */
  headersTimeoutMs?: number;
}

/** Reply headers passed through from the upstream (hop-by-hop and length headers are Node's to set). */
const PASSED = ["content-type", "cache-control", "x-request-id"];

/**
 * Creates the forwarder. `available()` asks `GET /v1/models` once and trusts the answer for `probeTtlMs` (any 2xx
 * with a JSON `data` array means yes). `forward()` sends the parsed JSON body to the same path upstream, then
 * relays the status, content type and body chunk by chunk as they arrive (no buffering, so a stream's tokens pass
 * at once). A client that goes away aborts the upstream request, which frees the upstream's slot; the gateway's
 * admission slot is held until the relay ends. Content events of a stream are counted for the metrics.
 */
export function createOpenAIForwarder(options: OpenAIForwarderOptions): OpenAIForwarder & { close(): Promise<void> } {
  const origin = new URL(options.upstream).origin;
  const base = new URL(options.upstream).pathname.replace(/\/+$/, "");
  const pool = new Pool(origin, {
    connections: options.connections ?? 64,
    headersTimeout: clampTimerMs(options.headersTimeoutMs ?? 300_000),
    bodyTimeout: clampTimerMs(options.headersTimeoutMs ?? 300_000),
  });
  const ttl = options.probeTtlMs ?? 30_000;
  let probed: { at: number; answer: Promise<boolean> } | undefined;

  async function probe(): Promise<boolean> {
    try {
      const r = await pool.request({ method: "GET", path: `${base}/v1/models`, signal: AbortSignal.timeout(5_000) });
      const text = await r.body.text();
      if (r.statusCode < 200 || r.statusCode >= 300) return false;
      const json = JSON.parse(text) as { data?: unknown };
      return Array.isArray(json.data);
    } catch {
      return false;
    }
  }

  return {
    available() {
      const now = Date.now();
      if (!probed || now - probed.at > ttl) probed = { at: now, answer: probe() };
      return probed.answer;
    },
    async forward(path, res, call, body) {
      const limited = path !== "/v1/models" && !path.startsWith("/v1/models/");
      const release = limited && options.acquire ? await options.acquire(call.ctx.signal) : undefined;
      try {
        await relay(path, res, call, body);
      } finally {
        release?.();
      }
    },
    close: () => pool.destroy().catch(() => {}),
  };

  async function relay(path: string, res: ServerResponse, call: CallContext, body: unknown): Promise<void> {
    const signal = call.ctx.signal;
    let up: Awaited<ReturnType<Pool["request"]>>;
    try {
      up = await pool.request({
        method: body === undefined ? "GET" : "POST",
        path: base + path,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (e) {
      if (signal.aborted) throw ModelwireError.from(signal.reason, Code.Canceled);
      throw new ModelwireError(`upstream ${origin}: ${(e as Error).message}`, Code.Unavailable, {}, e);
    }
    const headers: Record<string, string> = {};
    for (const h of PASSED) {
      const v = up.headers[h];
      if (typeof v === "string") headers[h] = v;
    }
    const sse = (headers["content-type"] ?? "").startsWith("text/event-stream");
    if (sse) headers["x-accel-buffering"] = "no";
    res.writeHead(up.statusCode, headers);
    let pendingLine = "";
    try {
      for await (const chunk of up.body) {
        if (sse) pendingLine = countContentEvents(pendingLine + (chunk as Buffer).toString("utf8"), call);
        if (!res.write(chunk)) await new Promise<void>((r) => res.once("drain", r).once("close", r));
        if (res.destroyed) throw new ModelwireError("client disconnected", Code.Canceled);
      }
      res.end();
    } catch (e) {
      up.body.destroy();
      if (!res.writableEnded) res.destroy();
      throw signal.aborted
        ? ModelwireError.from(signal.reason, Code.Canceled)
        : ModelwireError.from(e, Code.Unavailable);
    }
    if (up.statusCode >= 400) {
      const code = httpStatusToCode(up.statusCode);
      throw new ModelwireError(`upstream answered ${up.statusCode}`, code === Code.Ok ? Code.Unknown : code, {
        httpStatus: String(up.statusCode),
      });
    }
  }
}

/**
 * Counts the events of a relayed SSE text that carry text (`"content":"x` or `"text":"x`, non-empty) as content
 * chunks; returns the unfinished last line to prepend to the next piece.
 */
export function countContentEvents(text: string, call: CallContext): string {
  const lines = text.split("\n");
  const rest = lines.pop() ?? "";
  for (const line of lines) {
    if (!line.startsWith("data: {")) continue;
    if (/"(content|text)":"[^"]/.test(line)) call.observer.chunk();
  }
  return rest.length > 1 << 20 ? "" : rest;
}
