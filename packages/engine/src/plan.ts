import type { Options } from "@modelwire/core";
import type { OutputFormat } from "./format.js";
import { ReplySource, type ReplySpec, replySpec, thinkingCount } from "./reply-source.js";

/**
 * What one synthetic call streams, all of it: a pure function of the request and the knobs (what a verifying client
 * compares against). The engine itself streams the same reply lazily (see `ReplySource`).
 */
export interface ReplyPlan {
  /**
   * `"reply"` for generated text; `"load"` or `"unload"` for Ollama's empty requests that only load or unload the
   * model (no chunks, a final chunk with that `done_reason` and no metrics).
   */
  readonly kind: "reply" | "load" | "unload";
  /** The chunks' texts in order: the thinking chunks first, then the content chunks. */
  readonly texts: readonly string[];
  /** How many of the leading texts are thinking. */
  readonly thinking: number;
  /** For each text, the generated token after which it is sent; `undefined` when text `i` is token `i`. */
  readonly at: readonly number[] | undefined;
  /** Tokens generated (thinking and content), as `eval_count` reports. */
  readonly evalCount: number;
  /** The final chunk's `done_reason` for a reply: `"stop"` or `"length"`. */
  readonly doneReason: string;
}

/** The script key of a request, less the token count (see {@link syntheticTokens}). */
export interface PlanKey {
  seed: number;
  /** The model's canonical name (so every spelling of a model gives the same output). */
  model: string;
  prompt: string;
  requestSeed?: bigint | number;
}

/** What shapes a reply besides its key. */
export interface PlanInput {
  /** Tokens to generate; the request's own limit when `limited`. */
  count: number;
  /** Whether `count` is the request's `num_predict` (reaching it ends with `"length"`). */
  limited: boolean;
  /** Whether the model thinks first (a thinking model with `think` not false). */
  think: boolean;
  /** `options.stop`. */
  stops: readonly string[];
  /** The request's `format`: the content is then a JSON document. */
  format?: OutputFormat;
  /** The engine's default reply length in tokens (what sizes a `"json"` document). */
  size: number;
}

/** A plan for an Ollama load or unload request. */
export function emptyPlan(kind: "load" | "unload"): ReplyPlan {
  return { kind, texts: [], thinking: 0, at: undefined, evalCount: 0, doneReason: kind };
}

/**
 * Plans a reply: the content tokens of the script, preceded when thinking by thinking tokens (half of the budget,
 * rounded up, from the script of the same key marked as thinking), then cut by the stop sequences, which apply to
 * the content only. A stop sequence ends the reply with `"stop"`; otherwise a request's own limit ends it with
 * `"length"`, and the engine's default length with `"stop"` (the model "decided" to stop).
 *
 * With a `format`, the content is a JSON document (see `formatText`) of its own natural length: it ends with
 * `"stop"` once complete, or is cut with `"length"` when the request's `num_predict` leaves no room for all of it
 * (as a real model's would be: the text is then not valid JSON).
 */
export function planReply(key: PlanKey, input: PlanInput): ReplyPlan {
  return drain(replySpec(key, input));
}

/** Every chunk of a spec's reply, as a {@link ReplyPlan}. */
export function drain(spec: ReplySpec): ReplyPlan {
  if (spec.kind !== "reply") return emptyPlan(spec.kind);
  const source = new ReplySource(spec);
  const texts: string[] = [];
  const at: number[] = [];
  let thinking = 0;
  while (source.next()) {
    texts.push(source.text);
    at.push(source.at);
    if (source.thinking) thinking++;
  }
  // Without thinking or stops, chunk `i` is token `i`.
  const plain = thinkingCount(spec.input) === 0 && spec.input.stops.length === 0;
  return {
    kind: "reply",
    texts,
    thinking,
    at: plain ? undefined : at,
    evalCount: source.evalCount,
    doneReason: source.doneReason,
  };
}

/** The content chunks of a plan (what a client verifies). */
export function contentOf(plan: ReplyPlan): string[] {
  return plan.thinking === 0 ? (plan.texts as string[]) : plan.texts.slice(plan.thinking);
}

/** `options.stop`, or none. */
export function stopsOf(options: Options | undefined): readonly string[] {
  return options?.stop ?? [];
}
