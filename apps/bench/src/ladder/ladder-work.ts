import { create } from "@bufbuild/protobuf";
import { type GenerateRequestInit, GenerateRequestSchema } from "@modelwire/core";
import { createPrng, createSyntheticEngine } from "@modelwire/engine";
import type { GenerateWork } from "../stream-call.js";

/** What every step of the ladder sends. */
export interface LadderWorkload {
  model: string;
  promptBytes: number;
  /** Output tokens per stream (`num_predict`). */
  outputTokens: number;
  /** Share in [0, 1] of requests that repeat one of {@link LadderWorkload.hotPrompts} prompts (the rest are unique). */
  repeatShare: number;
  /** How many distinct prompts the repeated share cycles through. */
  hotPrompts: number;
  /** The gateway's synthetic seed (the expected tokens are computed locally with it). */
  seed: number;
}

const WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"];

function promptText(tag: string, bytes: number): string {
  let s = `${tag}:`;
  let k = tag.length;
  while (s.length < bytes) s += ` ${WORDS[k++ % WORDS.length]}`;
  return s.slice(0, Math.max(bytes, 1));
}

/**
 * The ladder's requests: the same sequence on every step and wire (a seeded PRNG decides, per sequence number,
 * whether it repeats a hot prompt or is unique). Every request is deterministic (temperature 0 and a seed), so
 * whether the gateway's cache answers is decided by the step (the `x-modelwire-cache` switch), not by the
 * workload. `runTag` (the wire's name) makes the prompts the wire's own. Each item carries the exact tokens the synthetic engine streams for it.
 */
export function createLadderWork(w: LadderWorkload, runTag: string): (seq: number) => GenerateWork {
  const engine = createSyntheticEngine({ seed: w.seed });
  const item = (tag: string): GenerateWork => {
    const request: GenerateRequestInit = {
      model: w.model,
      prompt: promptText(tag, w.promptBytes),
      options: { numPredict: w.outputTokens, temperature: 0, seed: 1n },
    };
    return { request, expected: engine.expectedGenerate(create(GenerateRequestSchema, request)) };
  };
  // Hot prompts are the run tag's own, so one wire's cached replies never answer another wire's step.
  const hot = Array.from({ length: Math.max(1, w.hotPrompts) }, (_, i) => item(`${runTag} hot ${i}`));
  const prng = createPrng(w.seed ^ 0x5bd1e995);
  const decided: boolean[] = [];
  return (seq) => {
    while (decided.length <= seq) decided.push(prng.next() < w.repeatShare);
    return decided[seq] ? hot[seq % hot.length] : item(`${runTag} ${seq}`);
  };
}
