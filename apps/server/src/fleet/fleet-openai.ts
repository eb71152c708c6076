/**
 * The OpenAI API through a fleet: `/v1/*` calls go unchanged to the own `/v1` of an upstream chosen by the fleet
 * (model-aware, least outstanding, affinity), so every field an upstream understands works as it does there. A
 * call moves to another upstream while the caller has been sent nothing: a connection error, a 5xx, a 429, a
 * `not found` (a stale model list) or no first body chunk within the fleet's limit. After the first bytes it is
 * never moved; a stream that fails then ends with an OpenAI error event (no `[DONE]`), so it never looks complete.
 * `GET /v1/models` merges every upstream's list. When no upstream serves `/v1`, the routes translate onto the
 * fleet engine instead (Ollama's `/api/chat` and `/api/generate`).
 *
 * @module
 */

import type { ServerResponse } from "node:http";
import { type CallOptions, Code, httpStatusToCode, ModelwireError } from "@modelwire/core";
import { countContentEvents, openaiErrorBody, sseData } from "@modelwire/http/openai";
import type { OpenAIForwarder } from "@modelwire/http/server";
import { Pool } from "undici";
import type { FleetEngine, RelayHooks } from "./fleet-types.js";
import type { Member } from "./member.js";

/** The HTTP server's context of one call (its signal, metadata and metrics observer). */
type CallContext = Parameters<OpenAIForwarder["forward"]>[2];

/** Options of {@link createFleetOpenAI}. */
export interface FleetOpenAIOptions {
  engine: FleetEngine;
  /** Connections per upstream. */
  connections: number;
  /** Takes a slot of the gateway's admission for a completion or embedding call (as the single-upstream path). */
  acquire?: (signal: AbortSignal) => Promise<() => void>;
  /** How long an upstream's answer to `GET /v1/models` (serves the OpenAI API or not) is trusted. Default 30 s. */
  probeTtlMs?: number;
}

/** Reply headers passed through (hop-by-hop and length headers are Node's to set). */
const PASSED = ["content-type", "cache-control", "x-request-id"];
/** Most of an upstream's error body kept for the message. */
const MAX_ERROR_TEXT = 2048;

/** Creates the fleet's OpenAI forwarder (one undici pool per upstream). */
export function createFleetOpenAI(o: FleetOpenAIOptions): OpenAIForwarder & { close(): Promise<void> } {
  const members = o.engine.members;
  const ttl = o.probeTtlMs ?? 30_000;
  const ups = members.map((m) => {
    const u = new URL(m.url);
    return {
      base: u.pathname.replace(/\/+$/, ""),
      // The fleet's own limits time the waits (first chunk, between chunks); undici's are off.
      pool: new Pool(u.origin, {
        connections: o.connections,
        headersTimeout: 0,
        bodyTimeout: 0,
        connect: { timeout: 3_000 },
      }),
      probed: undefined as { at: number; answer: Promise<boolean> } | undefined,
    };
  });

  async function probe(i: number): Promise<boolean> {
    try {
      const r = await ups[i].pool.request({
        method: "GET",
        path: `${ups[i].base}/v1/models`,
        signal: AbortSignal.timeout(5_000),
      });
      const text = await r.body.text();
      if (r.statusCode < 200 || r.statusCode >= 300) return false;
      return Array.isArray((JSON.parse(text) as { data?: unknown }).data);
    } catch {
      return false;
    }
  }
  function served(i: number): Promise<boolean> {
    const now = Date.now();
    const p = ups[i].probed;
    if (p && now - p.at <= ttl) return p.answer;
    const answer = probe(i);
    ups[i].probed = { at: now, answer };
    return answer;
  }
  /** Bit i set: upstream i does not serve `/v1` (the fleet skips it). */
  async function withoutV1(): Promise<number> {
    const answers = await Promise.all(members.map((_, i) => served(i)));
    return answers.reduce((mask, yes, i) => (yes ? mask : mask | (1 << i)), 0);
  }

  return {
    async available() {
      const mask = await withoutV1();
      return mask !== (1 << members.length) - 1;
    },
    async forward(path, res, call, body) {
      if (path === "/v1/models") return listModels(res, call.ctx.signal);
      const model = path.startsWith("/v1/models/")
        ? decodeURIComponent(path.slice("/v1/models/".length))
        : typeof (body as { model?: unknown } | undefined)?.model === "string"
          ? (body as { model: string }).model
          : "";
      if (model === "") throw new ModelwireError("model is required", Code.InvalidArgument, { field: "model" });
      const release = path.startsWith("/v1/models/") ? undefined : await o.acquire?.(call.ctx.signal);
      const tail = { sse: false, boundary: true };
      try {
        const skip = await withoutV1();
        await o.engine.relay(model, call.ctx, skip, (m, options, hooks) =>
          relayTo(m, path, body, res, options, hooks, tail, call),
        );
      } catch (e) {
        if (res.headersSent && !res.writableEnded) {
          // The caller got part of a reply: say why it ends, and never let it look complete.
          const err = ModelwireError.from(e, Code.Unavailable);
          if (tail.sse) res.end(`${tail.boundary ? "" : "\n\n"}${sseData(JSON.stringify(openaiErrorBody(err)))}`);
          else res.destroy();
        }
        throw e;
      } finally {
        release?.();
      }
    },
    close: async () => {
      await Promise.allSettled(ups.map((u) => u.pool.destroy()));
    },
  };

  /** `GET /v1/models`: every upstream that serves it, merged by id (the first one's entry wins). */
  async function listModels(res: ServerResponse, signal: AbortSignal): Promise<void> {
    const skip = await withoutV1();
    const lists = await Promise.allSettled(
      members.map(async (m, i) => {
        if ((skip >>> i) & 1 || m.breaker.availability(performance.now()) === "down") return [];
        const r = await ups[i].pool.request({ method: "GET", path: `${ups[i].base}/v1/models`, signal });
        const json = (await r.body.json()) as { data?: Array<{ id?: unknown }> };
        return r.statusCode === 200 && Array.isArray(json.data) ? json.data : [];
      }),
    );
    const seen = new Set<unknown>();
    const data = lists
      .flatMap((l) => (l.status === "fulfilled" ? l.value : []))
      .filter((x) => !seen.has(x.id) && !!seen.add(x.id));
    if (lists.every((l) => l.status === "rejected"))
      throw new ModelwireError("no upstream answered GET /v1/models", Code.Unavailable);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ object: "list", data }));
  }

  /** One attempt: the request to `m`, then its reply relayed chunk by chunk once its first chunk is here. */
  async function relayTo(
    m: Member,
    path: string,
    body: unknown,
    res: ServerResponse,
    options: CallOptions,
    hooks: RelayHooks,
    tail: { sse: boolean; boundary: boolean },
    call: CallContext,
  ): Promise<void> {
    const up = ups[m.index];
    const reply = await up.pool
      .request({
        method: body === undefined ? "GET" : "POST",
        path: up.base + path,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: options.signal,
      })
      .catch((e: unknown) => {
        throw options.signal?.aborted
          ? ModelwireError.from(options.signal.reason, Code.Canceled)
          : new ModelwireError(`upstream ${m.url}: ${(e as Error).message}`, Code.Unavailable, {}, e);
      });
    const status = reply.statusCode;
    if (status >= 500 || status === 404 || status === 429) {
      // Another upstream may do better: nothing has been sent, so the fleet may move the call.
      const text = (await reply.body.text().catch(() => "")).slice(0, MAX_ERROR_TEXT);
      const code = httpStatusToCode(status);
      throw new ModelwireError(
        `upstream ${m.url} answered ${status}: ${text}`,
        code === Code.Ok ? Code.Unknown : code,
        { httpStatus: String(status) },
      );
    }
    const headers: Record<string, string> = {};
    for (const h of PASSED) {
      const v = reply.headers[h];
      if (typeof v === "string") headers[h] = v;
    }
    tail.sse = (headers["content-type"] ?? "").startsWith("text/event-stream");
    if (tail.sse) headers["x-accel-buffering"] = "no";
    const chunks = reply.body[Symbol.asyncIterator]();
    try {
      let r = await chunks.next();
      hooks.waiting(false);
      res.writeHead(status, headers);
      hooks.sent();
      let pending = "";
      while (!r.done) {
        const buf = r.value as Buffer;
        if (tail.sse) pending = countContentEvents(pending + buf.toString("utf8"), call);
        tail.boundary = buf.length >= 2 && buf[buf.length - 1] === 10 && buf[buf.length - 2] === 10;
        if (!res.write(buf)) await new Promise<void>((done) => res.once("drain", done).once("close", done));
        if (res.destroyed) throw new ModelwireError("client disconnected", Code.Canceled);
        hooks.waiting(true);
        r = await chunks.next();
        hooks.waiting(false);
      }
      res.end();
    } catch (e) {
      reply.body.destroy();
      throw options.signal?.aborted ? (options.signal.reason ?? e) : ModelwireError.from(e, Code.Unavailable);
    }
  }
}
