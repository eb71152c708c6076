import { create } from "@bufbuild/protobuf";
import { type GenerateRequestInit, GenerateRequestSchema } from "@modelwire/core";
import { createSyntheticEngine } from "@modelwire/engine";
import { type SequenceShare, shareSequence } from "./agents/agent-share.js";
import type { EngineKnobs } from "./server-process.js";
import type { WorkItem } from "./stream-call.js";

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

function promptText(i: number, bytes: number): string {
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
 * Builds the request for each sequence number with the exact tokens the synthetic engine will stream for it
 * (computed locally with the same seed), cycling through `distinctPrompts` prompts.
 */
export function createWorkSource(w: Workload, verify = true): (seq: number) => WorkItem {
  const engine = createSyntheticEngine({ seed: w.engine.seed });
  const image = w.imageBytes > 0 ? imageOf(w.imageBytes) : undefined;
  const items: WorkItem[] = [];
  const n = Math.max(1, w.distinctPrompts);
  for (let i = 0; i < n; i++) {
    const request: GenerateRequestInit = {
      model: w.model,
      prompt: promptText(i, w.promptBytes),
      options: { numPredict: w.outputTokens },
      ...(image ? { images: [image] } : {}),
    };
    const item: WorkItem = { request };
    if (verify) item.expected = engine.expectedGenerate(create(GenerateRequestSchema, request));
    items.push(item);
  }
  return shareSequence(w.share, (seq) => items[seq % n]);
}
