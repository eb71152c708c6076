import type { ChatRequest, GenerateRequest } from "@modelwire/core";
import { createPrng, hash32 } from "./prng.js";
import { VOCABULARY } from "./vocabulary.js";

/** What decides the synthetic model's output: everything else in a request is ignored. */
export interface ScriptKey {
  /** The engine's seed (a server-wide knob). */
  seed: number;
  /** The model name. */
  model: string;
  /** The prompt text (for chat: the messages joined, see {@link chatPromptText}). */
  prompt: string;
  /** `options.seed` of the request, when set. */
  requestSeed?: bigint | number;
  /** How many content tokens to produce. */
  count: number;
}

/**
 * The synthetic model's output: a pure function of the key. Each element is one streamed content chunk; the
 * first token has no leading space, the rest have one, so joining them gives readable text.
 */
export function syntheticTokens(key: ScriptKey): string[] {
  const prng = createPrng(hash32(key.seed, key.model, key.prompt, key.requestSeed ?? "-"));
  const out: string[] = new Array(key.count);
  for (let i = 0; i < key.count; i++) {
    const word = VOCABULARY[prng.int(VOCABULARY.length)];
    out[i] = i === 0 ? word : ` ${word}`;
  }
  return out;
}

/** The text that stands for a chat request's prompt: each message as `role: content`, one per line. */
export function chatPromptText(request: Pick<ChatRequest, "messages">): string {
  return request.messages.map((m) => `${m.role}: ${m.content}`).join("\n");
}

/** The text that stands for a generate request's prompt: system, then prompt, then suffix. */
export function generatePromptText(request: Pick<GenerateRequest, "system" | "prompt" | "suffix">): string {
  return `${request.system}\n${request.prompt}\n${request.suffix}`;
}

/** A rough token count of a text, as the synthetic engine reports `prompt_eval_count`: its words, at least 1. */
export function countPromptTokens(text: string): number {
  const n = text.split(/\s+/).filter((w) => w.length > 0).length;
  return Math.max(1, n);
}
