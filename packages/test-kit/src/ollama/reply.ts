/**
 * The stand-in Ollama's replies, as pure functions: which tokens a request gets, how they are grouped into
 * chunks, and how many tokens its prompt counts. Written from Ollama's `docs/api.md` (reproducible outputs: a
 * fixed `seed`, or `temperature` 0, gives the same text for the same prompt), independent of modelwire's engine.
 *
 * @module
 */

/** The words replies are made of (each is one token, with its leading space). */
const WORDS = [
  " the",
  " sky",
  " is",
  " blue",
  " because",
  " of",
  " Rayleigh",
  " scattering",
  " light",
  " waves",
  " short",
  " long",
  " air",
  " molecules",
  " sun",
  " red",
  " evening",
  " a",
  " model",
  " answer",
] as const;

/** What decides a reply's text. */
export interface ReplyInput {
  /** The model name as requested. */
  model: string;
  /** The prompt text (generate) or the conversation flattened (chat). */
  prompt: string;
  /** `options.seed`, when the request set one. */
  seed?: number;
  /** `options.temperature`, when the request set one. */
  temperature?: number;
  /** `options.num_predict`, when the request set one (≤ 0 or absent: the server's default). */
  numPredict?: number;
}

/** 32-bit FNV-1a over strings (the stand-in's own hash; no dependency on the project's engine). */
export function fnv1a(...parts: readonly string[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) {
      h ^= p.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    h ^= 0xff;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** mulberry32: a small seeded PRNG giving floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * True when the request asks for a reproducible reply: a `seed`, or `temperature` 0. Otherwise every call gets
 * different text, as a sampling model would give.
 */
export function isReproducible(input: ReplyInput): boolean {
  return input.seed !== undefined || input.temperature === 0;
}

/**
 * The tokens of a reply: `numPredict` of them (or `defaultTokens`), each a word chosen by a PRNG keyed on the
 * model, the prompt and the seed — plus `nonce` when the request is not reproducible.
 */
export function replyTokens(input: ReplyInput, defaultTokens: number, nonce: number): string[] {
  const n = input.numPredict !== undefined && input.numPredict > 0 ? input.numPredict : defaultTokens;
  const key = fnv1a(input.model, input.prompt, String(input.seed ?? 0), isReproducible(input) ? "" : String(nonce));
  const next = prng(key);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(WORDS[Math.floor(next() * WORDS.length)]);
  return out;
}

/** Groups tokens into chunks of `perChunk` (the last may be shorter); each chunk's text is its tokens joined. */
export function chunkTokens(tokens: readonly string[], perChunk: number): string[] {
  const k = Math.max(1, Math.floor(perChunk));
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i += k) out.push(tokens.slice(i, i + k).join(""));
  return out;
}

/** The prompt's token count as the stand-in counts it: whitespace-separated words (at least 1). */
export function promptTokenCount(text: string): number {
  const words = text.split(/\s+/).filter(Boolean).length;
  return Math.max(1, words);
}

/** A chat conversation flattened into the text a reply is keyed on (role and content of every message). */
export function conversationText(messages: ReadonlyArray<{ role?: unknown; content?: unknown }>): string {
  return messages.map((m) => `${String(m.role ?? "")}: ${String(m.content ?? "")}`).join("\n");
}

/** Replaces one token of a reply with a visibly different one (the stand-in's fault injection). */
export function corruptOne(tokens: readonly string[]): string[] {
  const out = [...tokens];
  if (out.length === 0) return out;
  const i = Math.floor(out.length / 2);
  out[i] = `${out[i]}~corrupted`;
  return out;
}
