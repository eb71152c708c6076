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

/** Whether a UTF-16 code unit is whitespace as the RegExp class `\s` defines it. */
function isSpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c < 0xa0) return false;
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/**
 * A rough token count of a text, as the synthetic engine reports `prompt_eval_count`: its words (runs of non-`\s`
 * characters), at least 1. Counted in one pass: splitting on a RegExp allocated an array per request.
 */
export function countPromptTokens(text: string): number {
  let n = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const space = isSpace(text.charCodeAt(i));
    if (!space && !inWord) n++;
    inWord = !space;
  }
  return Math.max(1, n);
}
