import type { Options } from "@modelwire/core";
import { formatChunks, type OutputFormat } from "./format.js";
import { hash32 } from "./prng.js";
import { syntheticTokens } from "./script.js";
import { applyStops } from "./stop.js";

/** What one synthetic call streams: computed up front, a pure function of the request and the knobs. */
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
 * With a `format`, the content is a JSON document (see {@link formatChunks}) of its own natural length: it ends with
 * `"stop"` once complete, or is cut with `"length"` when the request's `num_predict` leaves no room for all of it
 * (as a real model's would be: the text is then not valid JSON).
 */
export function planReply(key: PlanKey, input: PlanInput): ReplyPlan {
  const thinkCount = input.think ? Math.ceil(input.count / 2) : 0;
  let natural: ReplyPlan;
  if (input.format) {
    const doc = formatChunks(input.format, hash32(key.seed, key.model, key.prompt, key.requestSeed ?? "-"), input.size);
    const room = input.count - thinkCount;
    const cut = input.limited && doc.length > room;
    natural = {
      kind: "reply",
      texts: cut ? doc.slice(0, room) : doc,
      thinking: 0,
      at: undefined,
      evalCount: cut ? input.count : thinkCount + doc.length,
      doneReason: cut ? "length" : "stop",
    };
  } else {
    natural = {
      kind: "reply",
      texts: syntheticTokens({ ...key, count: input.count - thinkCount }),
      thinking: 0,
      at: undefined,
      evalCount: input.count,
      doneReason: input.limited ? "length" : "stop",
    };
  }
  if (thinkCount === 0 && input.stops.length === 0) return natural;
  const thinking =
    thinkCount > 0 ? syntheticTokens({ ...key, prompt: `${key.prompt}\u0000think`, count: thinkCount }) : [];
  return withStops(natural, thinking, input.stops);
}

/** Prefixes thinking and applies the stop sequences to a plan's content. */
export function withStops(plan: ReplyPlan, thinking: readonly string[], stops: readonly string[]): ReplyPlan {
  const t = thinking.length;
  const cut = applyStops(plan.texts, stops);
  return {
    kind: "reply",
    texts: [...thinking, ...cut.chunks],
    thinking: t,
    at: [...thinking.map((_, i) => i), ...cut.at.map((k) => k + t)],
    evalCount: cut.stopped ? t + cut.consumed : plan.evalCount,
    doneReason: cut.stopped ? "stop" : plan.doneReason,
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
