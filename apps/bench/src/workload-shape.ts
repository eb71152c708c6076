import { create } from "@bufbuild/protobuf";
import { type ChatRequestInit, ChatRequestSchema, type GenerateRequestInit } from "@modelwire/core";
import { createPrng, type SyntheticEngine } from "@modelwire/engine";
import type { ChatTurn, SessionWork } from "./stream-call.js";
import { UsageError } from "./usage-error.js";

/**
 * A length (prompt bytes, output tokens): fixed, uniform over [min, max], or normal (mean, sd) rounded and clamped
 * to [min, max] (default [1, mean + 4 sd]).
 */
export type LengthDist =
  | { dist: "fixed"; value: number }
  | { dist: "uniform"; min: number; max: number }
  | { dist: "normal"; mean: number; sd: number; min?: number; max?: number };

/** Chat sessions: `turns` requests per session over the chat API, each resending the conversation so far. */
export interface ChatShape {
  turns: number;
  /** Pause between a reply and the next turn, ms. */
  thinkMs: number;
}

/** Parses `N`, `uniform:MIN-MAX` or `normal:MEAN,SD`; every bound within [lo, hi]. */
export function parseLengthDist(text: string, flag: string, lo: number, hi: number): LengthDist {
  const t = text.trim();
  const num = (s: string | undefined): number => {
    const n = Number(s);
    if (s === undefined || s === "" || !Number.isInteger(n) || n < lo || n > hi)
      throw new UsageError(`${flag}: "${s ?? ""}" is not an integer in [${lo}, ${hi}] (in "${text}")`);
    return n;
  };
  if (/^\d+$/.test(t)) return { dist: "fixed", value: num(t) };
  let m = /^uniform:(\d+)-(\d+)$/.exec(t);
  if (m) {
    const [min, max] = [num(m[1]), num(m[2])];
    if (max < min) throw new UsageError(`${flag}: uniform:MIN-MAX needs MIN <= MAX, got "${text}"`);
    return { dist: "uniform", min, max };
  }
  m = /^normal:(\d+),(\d+)$/.exec(t);
  if (m) return { dist: "normal", mean: num(m[1]), sd: Number(m[2]), min: lo, max: hi };
  throw new UsageError(`${flag}: expected N, uniform:MIN-MAX or normal:MEAN,SD, got "${text}"`);
}

/**
 * The length of item `index` (deterministic for a seed, so every wire and every round sends the same lengths);
 * `fallback` when there is no distribution.
 */
export function sampleLength(d: LengthDist | undefined, fallback: number, seed: number, index: number): number {
  if (!d) return fallback;
  if (d.dist === "fixed") return d.value;
  const prng = createPrng((seed * 2654435761 + index * 40503 + 1) >>> 0);
  if (d.dist === "uniform") return d.min + prng.int(d.max - d.min + 1);
  // Box–Muller.
  const u = Math.max(prng.next(), 1e-12);
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * prng.next());
  const min = Math.max(1, d.min ?? 1);
  const max = d.max ?? d.mean + 4 * d.sd;
  return Math.min(max, Math.max(min, Math.round(d.mean + z * d.sd)));
}

/** Builds one chat session from a generate request's parts: its turns' user messages, the model and options. */
export function sessionWork(
  base: Pick<GenerateRequestInit, "model" | "options">,
  turns: readonly string[],
  thinkMs: number,
  checks: { engine?: SyntheticEngine; key?: (request: ChatRequestInit) => string },
): SessionWork {
  const item: SessionWork = {
    kind: "session",
    turns,
    thinkMs,
    request: (messages: readonly ChatTurn[]) => ({
      model: base.model,
      messages: messages.map((m) => ({ role: m.role, content: m.content })),
      ...(base.options ? { options: base.options } : {}),
    }),
  };
  const engine = checks.engine;
  if (engine) item.expected = (r) => engine.expectedChat(create(ChatRequestSchema, r));
  if (checks.key) item.key = checks.key;
  return item;
}

/** The workload lines of `modelwire bench --help`. */
export const SHAPE_HELP = `  --prompt-dist D        prompt length in bytes per distinct prompt: N, uniform:MIN-MAX or normal:MEAN,SD
  --output-dist D        output tokens per request, the same forms (seeded: every wire sends the same lengths)
  --chat-turns N         chat sessions of N turns over the chat API (/api/chat, gRPC Chat, MCP chat), each turn
                         resending the conversation so far; every turn is timed as a request
  --think-ms MS          pause between a reply and the session's next turn (default 0)`;

/** Reads `--prompt-dist`, `--output-dist`, `--chat-turns`, `--think-ms` into workload fields. */
export function parseShapeFlags(v: {
  "prompt-dist"?: string;
  "output-dist"?: string;
  "chat-turns"?: string;
  "think-ms"?: string;
}): { promptLength?: LengthDist; outputLength?: LengthDist; chat?: ChatShape } {
  const out: { promptLength?: LengthDist; outputLength?: LengthDist; chat?: ChatShape } = {};
  if (v["prompt-dist"] !== undefined)
    out.promptLength = parseLengthDist(v["prompt-dist"], "--prompt-dist", 1, 16 * 1024 * 1024);
  if (v["output-dist"] !== undefined)
    out.outputLength = parseLengthDist(v["output-dist"], "--output-dist", 1, 1_000_000);
  if (v["think-ms"] !== undefined && v["chat-turns"] === undefined)
    throw new UsageError("--think-ms is the pause between chat turns: add --chat-turns N");
  if (v["chat-turns"] !== undefined) {
    const turns = Number(v["chat-turns"]);
    if (!Number.isInteger(turns) || turns < 1 || turns > 1000)
      throw new UsageError(`--chat-turns must be an integer in [1, 1000], got "${v["chat-turns"]}"`);
    const thinkMs = v["think-ms"] === undefined ? 0 : Number(v["think-ms"]);
    if (!Number.isFinite(thinkMs) || thinkMs < 0 || thinkMs > 600_000)
      throw new UsageError(`--think-ms must be a number in [0, 600000], got "${v["think-ms"]}"`);
    out.chat = { turns, thinkMs };
  }
  return out;
}
