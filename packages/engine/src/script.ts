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

/** Each vocabulary word with the leading space it has after the first token (shared, not built per token). */
const SPACED: readonly string[] = VOCABULARY.map((w) => ` ${w}`);

/** The script's seed for a key: what {@link syntheticTokens} and {@link scriptReader} draw from. */
export function scriptSeed(key: Omit<ScriptKey, "count">): number {
  return hash32(key.seed, key.model, key.prompt, key.requestSeed ?? "-");
}

/**
 * The script of `count` tokens from `seed` ({@link scriptSeed}) one token at a time, produced when asked:
 * `undefined` after the last. The same tokens as {@link syntheticTokens}, without holding them.
 */
export function scriptReader(seed: number, count: number): () => string | undefined {
  const prng = createPrng(seed);
  let i = 0;
  return () => {
    if (i >= count) return undefined;
    const w = prng.int(VOCABULARY.length);
    return i++ === 0 ? VOCABULARY[w] : SPACED[w];
  };
}

/**
 * The synthetic model's output: a pure function of the key. Each element is one streamed content chunk; the
 * first token has no leading space, the rest have one, so joining them gives readable text.
 */
export function syntheticTokens(key: ScriptKey): string[] {
  const take = scriptReader(scriptSeed(key), key.count);
  const out: string[] = new Array(key.count);
  for (let i = 0; i < key.count; i++) out[i] = take() as string;
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
