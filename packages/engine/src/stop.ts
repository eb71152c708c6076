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
 * The whole sequence at once; {@link StopScanner} is the same, one chunk at a time.
 */
export function applyStops(tokens: readonly string[], stops: readonly string[]): StoppedText {
  let k = 0;
  const scan = new StopScanner(stops, () => (k < tokens.length ? tokens[k++] : undefined));
  const chunks: string[] = [];
  const at: number[] = [];
  while (scan.next()) {
    chunks.push(scan.text);
    at.push(scan.at);
  }
  return { chunks, at, consumed: scan.consumed, stopped: scan.stopped };
}

/**
 * {@link applyStops} as a stream: pulls generated tokens from `take` (which returns `undefined` after the last) only
 * as chunks are asked for, holding at most the text that could still grow into a stop sequence and one token of
 * look-ahead (to know which token is the last). Each stop sequence is tracked by a Knuth-Morris-Pratt automaton
 * over UTF-16 code units, so the work is linear in the text times the number of stop sequences.
 */
export class StopScanner {
  /** The chunk {@link StopScanner.next} produced. */
  text = "";
  /** The index of the generated token after which {@link StopScanner.text} is sent. */
  at = 0;
  /** Tokens generated so far: at the end, up to and including the one that completed a stop sequence, else all. */
  consumed = 0;
  /** Whether a stop sequence ended the text (final once {@link StopScanner.next} returned false). */
  stopped = false;
  private readonly seqs: string[];
  private readonly fail: Int32Array[];
  private readonly state: Int32Array;
  private pending = "";
  private ahead: string | undefined;
  private over = false;

  constructor(
    stops: readonly string[],
    private readonly take: () => string | undefined,
  ) {
    this.seqs = stops.filter((s) => s.length > 0);
    this.fail = this.seqs.map(prefixFunction);
    this.state = new Int32Array(this.seqs.length);
    this.ahead = take();
  }

  /** Produces the next chunk into {@link StopScanner.text} / {@link StopScanner.at}; false when there is none. */
  next(): boolean {
    while (!this.over) {
      const token = this.ahead;
      if (token === undefined) {
        this.over = true;
        if (this.pending.length === 0) return false;
        // The last token decides the held-back tail: no chunk went out with it, so the tail is its chunk.
        this.text = this.pending;
        this.at = this.consumed - 1;
        this.pending = "";
        return true;
      }
      this.ahead = this.take();
      const i = this.consumed++;
      if (this.scan(token, i)) return true;
    }
    return false;
  }

  /** Feeds token `i`; true when it produced a chunk. */
  private scan(token: string, i: number): boolean {
    const base = this.pending.length;
    // Most tokens come with nothing held back: then the token is the text, with no concatenation.
    const pending = base === 0 ? token : this.pending + token;
    let cut = -1;
    let held = 0;
    for (let k = 0; k < this.seqs.length; k++) {
      const s = this.seqs[k];
      const f = this.fail[k];
      let q = this.state[k];
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
      this.state[k] = q;
      if (q > held) held = q;
    }
    if (cut !== -1) {
      this.over = true;
      this.stopped = true;
      this.pending = "";
      if (cut === 0) return false;
      this.text = pending.slice(0, cut);
      this.at = i;
      return true;
    }
    if (held >= pending.length) {
      this.pending = pending;
      return false;
    }
    this.at = i;
    if (held === 0) {
      this.text = pending;
      this.pending = "";
      return true; // nothing held back, so nothing to join even when this is the last token
    }
    this.text = pending.slice(0, pending.length - held);
    this.pending = pending.slice(pending.length - held);
    if (this.ahead === undefined && this.pending.length > 0) {
      // The last token: the held-back tail goes out with its chunk.
      this.text += this.pending;
      this.pending = "";
    }
    return true;
  }
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
