import { hash32 } from "./prng.js";
import { VOCABULARY } from "./vocabulary.js";

/** The size of the synthetic model's token-id space: ids are in `[0, CONTEXT_VOCABULARY)`. */
export const CONTEXT_VOCABULARY = 32_000;

/** The synthetic token id of one word (a stable hash, as a tokenizer's id is a stable function of the text). */
function tokenId(word: string): number {
  return hash32("token", word) % CONTEXT_VOCABULARY;
}

/**
 * The id of each text the script sends as it is (a vocabulary word, bare or after its space: see `scriptReader`),
 * computed once, so collecting a plain token's id is one lookup instead of a trim and a hash per token. The same
 * ids {@link tokenId} gives: it is filled from it.
 */
const SCRIPT_IDS: ReadonlyMap<string, number> = new Map(
  VOCABULARY.flatMap((w) => [
    [w, tokenId(w)],
    [` ${w}`, tokenId(w)],
  ]),
);

/**
 * The `context` a non-raw generate reply ends with, as Ollama's does: the token ids of the conversation so far — the
 * request's own `context` (a previous reply's), then the prompt's words, then the generated texts — so a client can
 * send it back to continue. Deterministic: a pure function of its inputs.
 */
export function replyContext(previous: readonly number[], prompt: string, generated: readonly string[]): number[] {
  const out = [...previous];
  for (const word of prompt.split(/\s+/)) if (word !== "") out.push(tokenId(word));
  for (const text of generated) {
    const word = text.trim();
    if (word !== "") out.push(tokenId(word));
  }
  return out;
}

/**
 * The token ids of a reply's texts collected as they are sent, two bytes each (ids are below
 * {@link CONTEXT_VOCABULARY}), so the final chunk's `context` needs neither the texts kept nor produced again: the
 * same ids {@link replyContext} gives for those texts.
 */
export class ReplyIds {
  private ids = new Uint16Array(64);
  private n = 0;

  /** Adds one sent text. */
  add(text: string): void {
    let id = SCRIPT_IDS.get(text);
    if (id === undefined) {
      // A text the stop sequences cut or joined, or a `format` document's chunk.
      const word = text.trim();
      if (word === "") return;
      id = tokenId(word);
    }
    if (this.n === this.ids.length) {
      const grown = new Uint16Array(this.ids.length * 2);
      grown.set(this.ids);
      this.ids = grown;
    }
    this.ids[this.n++] = id;
  }

  /** The `context`: the request's own, the prompt's words, then the texts added. */
  context(previous: readonly number[], prompt: string): number[] {
    const out = replyContext(previous, prompt, []);
    for (let i = 0; i < this.n; i++) out.push(this.ids[i]);
    return out;
  }
}
