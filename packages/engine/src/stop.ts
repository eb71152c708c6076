import { invalidArgument } from "@modelwire/core";

/** Most stop sequences one request may carry (Ollama sets no limit; every parser here has one). */
export const MAX_STOP_SEQUENCES = 64;
/** Longest stop sequence accepted, in UTF-16 code units. */
export const MAX_STOP_LENGTH = 4096;

/** What is left of a generated token sequence once the stop sequences are applied. */
export interface StoppedText {
  /** The text sent, as chunks in order (held-back text joins the chunk of the token that resolved it). */
  chunks: string[];
  /** For each chunk, the index of the generated token after which it is sent. */
  at: number[];
  /** Tokens generated: up to and including the one that completed a stop sequence, else all of them. */
  consumed: number;
  /** Whether a stop sequence ended the text. */
  stopped: boolean;
}

/** Checks `options.stop`; throws `InvalidArgument` naming `options.stop` beyond the limits. */
export function validateStops(stops: readonly string[]): void {
  if (stops.length > MAX_STOP_SEQUENCES) {
    throw invalidArgument("options.stop", `options.stop has ${stops.length} sequences; at most ${MAX_STOP_SEQUENCES}`);
  }
  for (const s of stops) {
    if (s.length > MAX_STOP_LENGTH) {
      throw invalidArgument(
        "options.stop",
        `a stop sequence is ${s.length} characters long; at most ${MAX_STOP_LENGTH}`,
      );
    }
  }
}

/**
 * Applies stop sequences to generated tokens as Ollama's runner does while it streams: after each token the text
 * not yet sent is searched for every stop sequence; on a match the text before the match is sent and generation
 * ends (the stop text itself is never sent). Otherwise everything is sent except a tail that could still grow into
 * a stop sequence, which is held back until the next token decides it, so a stop sequence that spans token
 * boundaries is still caught. When several stop sequences match after the same token, the one starting first wins.
 * Empty stop sequences are ignored. At the end of the tokens, held-back text is sent.
 *
 * Each stop sequence is tracked by a Knuth-Morris-Pratt automaton over UTF-16 code units, so the work is linear in
 * the text times the number of stop sequences, whatever their lengths.
 */
export function applyStops(tokens: readonly string[], stops: readonly string[]): StoppedText {
  const seqs = stops.filter((s) => s.length > 0);
  const fail = seqs.map(prefixFunction);
  const state = new Int32Array(seqs.length);
  const chunks: string[] = [];
  const at: number[] = [];
  let pending = "";
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    const base = pending.length;
    pending += token;
    let cut = -1;
    let held = 0;
    for (let k = 0; k < seqs.length; k++) {
      const s = seqs[k];
      const f = fail[k];
      let q = state[k];
      for (let j = 0; j < token.length; j++) {
        const c = token.charCodeAt(j);
        while (q > 0 && s.charCodeAt(q) !== c) q = f[q - 1];
        if (s.charCodeAt(q) === c) q++;
        if (q === s.length) {
          const start = base + j + 1 - s.length;
          if (cut === -1 || start < cut) cut = start;
          break;
        }
      }
      state[k] = q;
      if (q > held) held = q;
    }
    if (cut !== -1) {
      if (cut > 0) {
        chunks.push(pending.slice(0, cut));
        at.push(i);
      }
      return { chunks, at, consumed: i + 1, stopped: true };
    }
    if (held < pending.length) {
      chunks.push(pending.slice(0, pending.length - held));
      at.push(i);
      pending = pending.slice(pending.length - held);
    }
  }
  if (pending.length > 0) {
    // The last token decides the held-back tail: it goes out with that token's chunk.
    const last = tokens.length - 1;
    if (at.length > 0 && at[at.length - 1] === last) chunks[chunks.length - 1] += pending;
    else {
      chunks.push(pending);
      at.push(last);
    }
  }
  return { chunks, at, consumed: tokens.length, stopped: false };
}

/** KMP's prefix function: for each prefix of `s`, the length of its longest proper border. */
function prefixFunction(s: string): Int32Array {
  const f = new Int32Array(s.length);
  for (let i = 1, q = 0; i < s.length; i++) {
    while (q > 0 && s.charCodeAt(i) !== s.charCodeAt(q)) q = f[q - 1];
    if (s.charCodeAt(i) === s.charCodeAt(q)) q++;
    f[i] = q;
  }
  return f;
}
