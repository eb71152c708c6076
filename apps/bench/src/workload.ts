import { create } from "@bufbuild/protobuf";
import { type GenerateRequestInit, GenerateRequestSchema } from "@modelwire/core";
import { createSyntheticEngine } from "@modelwire/engine";
import { type SequenceShare, shareSequence } from "./agents/agent-share.js";
import type { EngineKnobs } from "./server-process.js";
import { textDigest, type WorkItem } from "./stream-call.js";
import type { TraceEntry, TraceSource } from "./trace/trace-file.js";
import { type ChatShape, type LengthDist, sampleLength, sessionWork } from "./workload-shape.js";

/** What each request asks for, and how the synthetic engine behaves. */
export interface Workload {
  /** Model name. Default `synthetic:latest`. */
  model: string;
  /** Prompt size in bytes (ASCII words). */
  promptBytes: number;
  /** Output tokens per stream (`num_predict`). */
  outputTokens: number;
  /** Bytes of image payload per request (0 = none): raw bytes on binary wires, base64 in Ollama's JSON. */
  imageBytes: number;
  /** Distinct prompts cycled through. */
  distinctPrompts: number;
  /** Synthetic engine knobs (delays, jitter, seed). */
  engine: Required<Pick<EngineKnobs, "ttftMs" | "interTokenMs" | "jitter" | "seed">>;
  /** Prompt bytes per distinct prompt drawn from this distribution instead of `promptBytes` (seeded). */
  promptLength?: LengthDist;
  /** Output tokens per distinct prompt drawn from this distribution instead of `outputTokens` (seeded). */
  outputLength?: LengthDist;
  /** Chat sessions over the chat API instead of generate requests (images are not sent with them). */
  chat?: ChatShape;
  /** `--trace`: one request per trace line, sent at its offset (the load's arrival is then `trace`). */
  trace?: TraceSource;
  /** The share of the request sequence this generator sends (agents and workers split it by index). */
  share?: SequenceShare;
}

/** The default workload: short prompt, 16 tokens, zero-delay engine. */
export const DEFAULT_WORKLOAD: Workload = {
  model: "synthetic:latest",
  promptBytes: 64,
  outputTokens: 16,
  imageBytes: 0,
  distinctPrompts: 64,
  engine: { ttftMs: 0, interTokenMs: 0, jitter: 0, seed: 42 },
};

const WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"];

/** The bench's prompt `i`, `bytes` long (ASCII words). */
export function promptText(i: number, bytes: number): string {
  let s = `prompt ${i}:`;
  let k = i;
  while (s.length < bytes) s += ` ${WORDS[k++ % WORDS.length]}`;
  return s.slice(0, Math.max(bytes, 1));
}

function imageOf(bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let x = 0x9e3779b9;
  for (let i = 0; i < bytes; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/**
 * What engine the requests go to. `synthetic`: a server the bench started, so every request carries the exact
 * tokens to expect. `real`: a server whose output the bench cannot predict (a `--target`, or the gateway in front
 * of `--upstream`): requests ask for `model`, with temperature 0 and the workload's seed, and carry a consistency
 * key, so the same request must give the same text on every wire.
 */
export interface WorkMode {
  engine: "synthetic" | "real";
  /** The model asked of a real engine (default: the workload's). */
  model?: string;
}

/** The consistency key of a request: a digest of everything that decides its output. */
export function consistencyKey(kind: string, request: unknown): string {
  return textDigest(
    `${kind}\n${JSON.stringify(request, (_k, v) => (typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? textDigest(Buffer.from(v).toString("base64")) : v))}`,
  );
}

/**
 * Builds the request for each sequence number, cycling through `distinctPrompts` prompts. For the synthetic engine
 * each carries the exact tokens it will stream (computed locally with the same seed); for a real one, a seed,
 * temperature 0 and a consistency key (see {@link WorkMode}).
 */
export function createWorkSource(w: Workload, mode: WorkMode = { engine: "synthetic" }): (seq: number) => WorkItem {
  const engine = mode.engine === "synthetic" ? createSyntheticEngine({ seed: w.engine.seed }) : undefined;
  const image = w.imageBytes > 0 ? imageOf(w.imageBytes) : undefined;
  const optionsFor = (tokens: number) =>
    engine ? { numPredict: tokens } : { numPredict: tokens, temperature: 0, seed: BigInt(w.engine.seed) };
  const generate = (request: GenerateRequestInit): WorkItem => {
    const item: WorkItem = { request };
    if (engine) item.expected = engine.expectedGenerate(create(GenerateRequestSchema, request));
    else item.key = consistencyKey("generate", request);
    return item;
  };
  const entries = w.trace?.entries;
  if (entries && entries.length > 0) {
    const items = entries.map((e, i) =>
      generate({
        model: engine ? w.model : (e.model ?? mode.model ?? w.model),
        prompt: tracePrompt(e, i),
        options: optionsFor(e.maxTokens ?? w.outputTokens),
        ...(image ? { images: [image] } : {}),
      }),
    );
    return shareSequence(w.share, (seq) => items[seq % items.length]);
  }
  const items: WorkItem[] = [];
  const n = Math.max(1, w.distinctPrompts);
  for (let i = 0; i < n; i++) {
    const bytes = sampleLength(w.promptLength, w.promptBytes, w.engine.seed, 2 * i);
    const tokens = sampleLength(w.outputLength, w.outputTokens, w.engine.seed, 2 * i + 1);
    const model = engine ? w.model : (mode.model ?? w.model);
    const options = optionsFor(tokens);
    if (w.chat) {
      const turns = Array.from({ length: w.chat.turns }, (_, t) => promptText(i * w.chat!.turns + t, bytes));
      const checks = engine ? { engine } : { key: (r: unknown) => consistencyKey("chat", r) };
      items.push(sessionWork({ model, options }, turns, w.chat.thinkMs, checks));
      continue;
    }
    items.push(generate({ model, prompt: promptText(i, bytes), options, ...(image ? { images: [image] } : {}) }));
  }
  return shareSequence(w.share, (seq) => items[seq % n]);
}

/** A trace line's prompt: its text, or `promptTokens` words made up for line `i`. */
function tracePrompt(e: TraceEntry, i: number): string {
  if (e.prompt !== undefined) return e.prompt;
  const words = [`trace${i}:`];
  for (let k = 1; k < (e.promptTokens ?? 1); k++) words.push(WORDS[(i + k) % WORDS.length]);
  return words.join(" ");
}
