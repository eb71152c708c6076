/**
 * A synthetic reply produced one chunk at a time, when the stream asks for it: the engine holds the reply's seed
 * and position (and, for a `format` reply, the document's text), never the whole list of chunks. The chunks, their
 * schedule, `eval_count` and `done_reason` are exactly those of {@link planReply} (which drains one of these).
 *
 * @module
 */

import { chunkReader, formatText } from "./format.js";
import type { PlanInput, PlanKey } from "./plan.js";
import { scriptReader, scriptSeed } from "./script.js";
import { StopScanner } from "./stop.js";

/** What a synthetic call streams, before any of it is produced: a load/unload, or a reply's key and shape. */
export type ReplySpec =
  | { readonly kind: "load" | "unload" }
  | {
      readonly kind: "reply";
      readonly key: PlanKey;
      readonly input: PlanInput;
      /** The text of the JSON document a `format` reply streams (built once, when the call is planned). */
      readonly doc: string | undefined;
    };

/**
 * The spec of a reply. A `format` document is built here, so a schema that cannot be satisfied throws
 * `InvalidArgument` naming `format` before the stream starts.
 */
export function replySpec(key: PlanKey, input: PlanInput): ReplySpec {
  const doc = input.format ? formatText(input.format, scriptSeed(key), input.size) : undefined;
  return { kind: "reply", key, input, doc };
}

/** How many of a reply's `count` tokens are thinking: half, rounded up, for a model that thinks first. */
export function thinkingCount(input: PlanInput): number {
  return input.think ? Math.ceil(input.count / 2) : 0;
}

/**
 * One reply's chunks in order, each produced by {@link ReplySource.next}: the thinking chunks (the script of the
 * key marked as thinking), then the content (the key's script, or the `format` document's chunks cut to the
 * request's `num_predict`), cut by the stop sequences (see {@link StopScanner}). Once `next()` returns false,
 * {@link ReplySource.evalCount} and {@link ReplySource.doneReason} are final.
 */
export class ReplySource {
  /** A reply, or an Ollama load/unload request (no chunks; the final chunk's `done_reason` is the kind). */
  readonly kind: ReplySpec["kind"];
  /** The chunk `next()` produced. */
  text = "";
  /** Whether {@link ReplySource.text} is thinking. */
  thinking = false;
  /** The generated token (thinking and content, from 0) after which {@link ReplySource.text} is sent. */
  at = 0;
  /** Tokens generated, as `eval_count` reports (final once `next()` returned false). */
  evalCount = 0;
  /** The final chunk's `done_reason` (final once `next()` returned false). */
  doneReason: string;
  private readonly think: (() => string | undefined) | undefined;
  private readonly content: () => string | undefined;
  private readonly scanner: StopScanner | undefined;
  private readonly thinkCount: number;
  private readonly natural: () => { evalCount: number; doneReason: string };
  private thought = 0;
  private sent = 0;
  private over: boolean;

  constructor(spec: ReplySpec) {
    this.kind = spec.kind;
    this.doneReason = spec.kind;
    this.over = spec.kind !== "reply";
    if (spec.kind !== "reply") {
      this.thinkCount = 0;
      this.think = undefined;
      this.content = () => undefined;
      this.scanner = undefined;
      this.natural = () => ({ evalCount: 0, doneReason: spec.kind });
      return;
    }
    const { key, input } = spec;
    const t = thinkingCount(input);
    this.thinkCount = t;
    this.think = t > 0 ? scriptReader(scriptSeed({ ...key, prompt: `${key.prompt}\u0000think` }), t) : undefined;
    if (spec.doc === undefined) {
      this.content = scriptReader(scriptSeed(key), input.count - t);
      const doneReason = input.limited ? "length" : "stop";
      this.natural = () => ({ evalCount: input.count, doneReason });
    } else {
      // The document's own length, cut with "length" when `num_predict` leaves no room for all of it.
      const read = chunkReader(spec.doc);
      const room = input.count - t;
      let n = 0;
      let cut = false;
      let peeked = false;
      this.content = () => {
        if (input.limited && n === room) {
          if (!peeked) cut = read() !== undefined;
          peeked = true;
          return undefined;
        }
        const c = read();
        if (c !== undefined) n++;
        return c;
      };
      this.natural = () =>
        cut ? { evalCount: input.count, doneReason: "length" } : { evalCount: t + n, doneReason: "stop" };
    }
    this.scanner = input.stops.some((s) => s.length > 0) ? new StopScanner(input.stops, this.content) : undefined;
  }

  /** Produces the next chunk; false when the reply has no more (then the counts are final). */
  next(): boolean {
    if (this.over) return false;
    if (this.think && this.thought < this.thinkCount) {
      this.text = this.think() as string;
      this.thinking = true;
      this.at = this.thought++;
      return true;
    }
    this.thinking = false;
    const scanner = this.scanner;
    if (scanner) {
      if (scanner.next()) {
        this.text = scanner.text;
        this.at = this.thinkCount + scanner.at;
        return true;
      }
    } else {
      const c = this.content();
      if (c !== undefined) {
        this.text = c;
        this.at = this.thinkCount + this.sent++;
        return true;
      }
    }
    this.over = true;
    if (scanner?.stopped) {
      this.evalCount = this.thinkCount + scanner.consumed;
      this.doneReason = "stop";
    } else {
      const n = this.natural();
      this.evalCount = n.evalCount;
      this.doneReason = n.doneReason;
    }
    return false;
  }
}
