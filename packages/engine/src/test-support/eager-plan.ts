/**
 * The synthetic engine's reply planning as it was before replies were produced lazily (main 8ffe82f: the script and
 * `planReply`, the whole reply computed up front), with stop sequences applied by a brute-force oracle. Kept only as
 * the reference the lazy `ReplySource` is compared against (reply-source.test.ts): the same request must give
 * byte-identical chunks, schedule and counts.
 */

import { chunksOf, formatText } from "../format.js";
import type { PlanInput, PlanKey, ReplyPlan } from "../plan.js";
import { createPrng, hash32 } from "../prng.js";
import type { StoppedText } from "../stop.js";
import { VOCABULARY } from "../vocabulary.js";

/** The old `syntheticTokens`: the whole script as an array. */
export function eagerTokens(key: PlanKey & { count: number }): string[] {
  const prng = createPrng(hash32(key.seed, key.model, key.prompt, key.requestSeed ?? "-"));
  const out: string[] = new Array(key.count);
  for (let i = 0; i < key.count; i++) {
    const word = VOCABULARY[prng.int(VOCABULARY.length)];
    out[i] = i === 0 ? word : ` ${word}`;
  }
  return out;
}

/** The old `planReply`. */
export function eagerPlanReply(key: PlanKey, input: PlanInput): ReplyPlan {
  const thinkCount = input.think ? Math.ceil(input.count / 2) : 0;
  let natural: ReplyPlan;
  if (input.format) {
    const doc = chunksOf(
      formatText(input.format, hash32(key.seed, key.model, key.prompt, key.requestSeed ?? "-"), input.size),
    );
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
      texts: eagerTokens({ ...key, count: input.count - thinkCount }),
      thinking: 0,
      at: undefined,
      evalCount: input.count,
      doneReason: input.limited ? "length" : "stop",
    };
  }
  if (thinkCount === 0 && input.stops.length === 0) return natural;
  const thinking = thinkCount > 0 ? eagerTokens({ ...key, prompt: `${key.prompt}\u0000think`, count: thinkCount }) : [];
  const t = thinking.length;
  const cut = eagerApplyStops(natural.texts, input.stops);
  return {
    kind: "reply",
    texts: [...thinking, ...cut.chunks],
    thinking: t,
    at: [...thinking.map((_, i) => i), ...cut.at.map((k) => k + t)],
    evalCount: cut.stopped ? t + cut.consumed : natural.evalCount,
    doneReason: cut.stopped ? "stop" : natural.doneReason,
  };
}

/**
 * Stop sequences applied by brute force (no automaton): after each token, the earliest occurrence of any stop
 * sequence in the unsent text ends the reply; else everything but the longest unsent tail that is a proper prefix
 * of a stop sequence is sent. The independent oracle for the scanner (same rules as the old `applyStops`).
 */
export function eagerApplyStops(tokens: readonly string[], stops: readonly string[]): StoppedText {
  const seqs = stops.filter((s) => s.length > 0);
  const chunks: string[] = [];
  const at: number[] = [];
  let pending = "";
  for (let i = 0; i < tokens.length; i++) {
    pending += tokens[i];
    const starts = seqs.map((s) => pending.indexOf(s)).filter((k) => k >= 0);
    if (starts.length > 0) {
      const cut = Math.min(...starts);
      if (cut > 0) {
        chunks.push(pending.slice(0, cut));
        at.push(i);
      }
      return { chunks, at, consumed: i + 1, stopped: true };
    }
    let held = 0;
    for (const s of seqs) {
      for (let k = Math.min(s.length - 1, pending.length); k > held; k--) {
        if (pending.endsWith(s.slice(0, k))) {
          held = k;
          break;
        }
      }
    }
    if (held < pending.length) {
      chunks.push(pending.slice(0, pending.length - held));
      at.push(i);
      pending = pending.slice(pending.length - held);
    }
  }
  if (pending.length > 0) {
    const last = tokens.length - 1;
    if (at.length > 0 && at[at.length - 1] === last) chunks[chunks.length - 1] += pending;
    else {
      chunks.push(pending);
      at.push(last);
    }
  }
  return { chunks, at, consumed: tokens.length, stopped: false };
}
