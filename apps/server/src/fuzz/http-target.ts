import * as fc from "fast-check";
import { Pool } from "undici";
import type { HangWatch } from "./hang-watch.js";
import { createRng, mutate, type Rng } from "./mutate.js";
import type { Outcome } from "./tally.js";

/** One HTTP input: a path and the raw body bytes. */
export interface HttpInput {
  path: string;
  body: Uint8Array;
}

const OLLAMA = ["/api/generate", "/api/chat", "/api/embed", "/api/embeddings", "/api/show"];
const OPENAI = ["/v1/chat/completions", "/v1/completions", "/v1/embeddings"];

/** Valid bodies of each route, the mutation seeds. */
const VALID: Record<string, unknown> = {
  "/api/generate": { model: "synthetic", prompt: "why", stream: true, options: { temperature: 0.5, num_predict: 4 } },
  "/api/chat": { model: "synthetic", messages: [{ role: "user", content: "hi" }], keep_alive: "5m" },
  "/api/embed": { model: "synthetic", input: ["a", "b"], truncate: true },
  "/api/embeddings": { model: "synthetic", prompt: "a" },
  "/api/show": { model: "synthetic" },
  "/v1/chat/completions": {
    model: "synthetic",
    messages: [{ role: "user", content: "hi" }],
    stream: true,
    max_tokens: 4,
    stream_options: { include_usage: true },
  },
  "/v1/completions": { model: "synthetic", prompt: "x", max_tokens: 3, temperature: 1, n: 1 },
  "/v1/embeddings": { model: "synthetic", input: "a", encoding_format: "float" },
};

/** Values that broke parsers before: huge, negative, fractional, NaN-producing, wrong types. */
const NASTY: unknown[] = [
  1e308,
  -1e308,
  2 ** 63,
  -1,
  0.5,
  -0.0,
  "1e400",
  "NaN",
  "Infinity",
  "",
  "-9223372036854775809h",
  null,
  true,
  [],
  {},
  "9".repeat(400),
  { "": { "": [] } },
];

/** Replaces one field (at any depth) of `v` with `x`, picked by `rng`. */
function setSomewhere(rng: Rng, v: unknown, x: unknown): unknown {
  if (v === null || typeof v !== "object") return x;
  const copy: Record<string, unknown> | unknown[] = Array.isArray(v) ? [...v] : { ...(v as Record<string, unknown>) };
  const keys = Object.keys(copy);
  if (keys.length === 0 || rng.next() < 0.15) {
    (copy as Record<string, unknown>)[rng.pick(["model", "options", "keep_alive", "format", "x"])] = x;
    return copy;
  }
  const k = rng.pick(keys);
  const rec = copy as Record<string, unknown>;
  rec[k] = rng.next() < 0.4 ? x : setSomewhere(rng, rec[k], x);
  return copy;
}

/**
 * HTTP inputs for the Ollama and OpenAI routes, in turn: fast-check's arbitrary JSON; a valid body with one field
 * (at any depth) set to a nasty or arbitrary value; a valid body's bytes mutated.
 */
export function createHttpInputs(seed: number): (i: number) => HttpInput {
  const rng = createRng(seed);
  const json = fc.jsonValue({ maxDepth: 4 });
  let pool: unknown[] = [];
  let batch = 0;
  const arbitrary = () => {
    if (pool.length === 0) pool = fc.sample(json, { numRuns: 500, seed: seed + batch++ });
    return pool.pop();
  };
  const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v) ?? "null");
  return (i) => {
    const path = rng.pick(rng.next() < 0.6 ? OLLAMA : OPENAI);
    switch (i % 3) {
      case 0:
        return { path, body: enc(arbitrary()) };
      case 1:
        return { path, body: enc(setSomewhere(rng, VALID[path], rng.next() < 0.6 ? rng.pick(NASTY) : arbitrary())) };
      default:
        return { path, body: mutate(rng, enc(VALID[path])) };
    }
  };
}

/** Sends HTTP inputs to one listener. */
export interface HttpSender {
  send(input: HttpInput, hang: HangWatch): Promise<Outcome>;
  close(): Promise<void>;
}

/**
 * Creates the HTTP sender: an undici pool of `connections` keep-alive HTTP/1.1 connections (many requests per
 * connection), each input a POST whose whole reply must arrive within the hang limit. A request that fails without
 * any response (the server closed the connection instead of answering) is counted as a reset.
 */
export function createHttpSender(base: string, connections: number): HttpSender {
  const pool = new Pool(base, { connections, pipelining: 1, headersTimeout: 0, bodyTimeout: 0 });
  return {
    send(input, hang) {
      const abort = new AbortController();
      let hung = false;
      const stop = hang.watch(() => {
        hung = true;
        abort.abort();
      });
      let status: number | undefined;
      return pool
        .request({
          path: input.path,
          method: "POST",
          headers: { "content-type": "application/json" },
          body: input.body,
          signal: abort.signal,
        })
        .then(async (res) => {
          status = res.statusCode;
          await res.body.arrayBuffer();
          return { kind: "answered", status } as const;
        })
        .catch((): Outcome => (hung ? { kind: "hang" } : { kind: "answered", status, reset: status === undefined }))
        .finally(stop);
    },
    close: () => pool.close(),
  };
}
