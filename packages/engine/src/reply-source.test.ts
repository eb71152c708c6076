import { create } from "@bufbuild/protobuf";
import { backgroundContext, GenerateRequestSchema, type GenerateResponse } from "@modelwire/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { OutputFormat } from "./format.js";
import type { PlanInput, PlanKey } from "./plan.js";
import { planReply } from "./plan.js";
import { replyContext } from "./reply-context.js";
import { ReplySource, replySpec } from "./reply-source.js";
import { syntheticTokens } from "./script.js";
import { applyStops } from "./stop.js";
import { createSyntheticEngine, planGenerate, resolveSyntheticConfig } from "./synthetic.js";
import { eagerApplyStops, eagerPlanReply, eagerTokens } from "./test-support/eager-plan.js";
import { VOCABULARY } from "./vocabulary.js";

// Stop sequences that occur in the script: vocabulary words and pieces of them (multi-byte ones too), across spaces.
const piece = fc.oneof(
  fc
    .constantFrom(...VOCABULARY)
    .chain((w) =>
      fc.tuple(fc.nat(w.length), fc.nat(w.length)).map(([a, b]) => w.slice(Math.min(a, b), Math.max(a, b) + 1)),
    ),
  fc.constantFrom(" ", " t", "e ", "o", "é", "🙂", '"', ", ", ": "),
  fc.string({ maxLength: 3 }),
);
const stop = fc.array(piece, { minLength: 1, maxLength: 3 }).map((xs) => xs.join(""));
const format: fc.Arbitrary<OutputFormat | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.constant({ kind: "json" } as const),
  fc.constant({
    kind: "schema",
    schema: {
      type: "object",
      properties: {
        name: { type: "string" },
        n: { type: "integer" },
        tags: { type: "array", items: { type: "string" } },
      },
      required: ["name", "n", "tags"],
    },
  } as const),
);
const key: fc.Arbitrary<PlanKey> = fc.record({
  seed: fc.integer(),
  model: fc.constantFrom("synthetic:latest", "synthetic-think:latest", "m"),
  prompt: fc.string({ maxLength: 40 }),
  requestSeed: fc.option(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { nil: undefined }),
});
const input: fc.Arbitrary<PlanInput> = fc.record({
  count: fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 5000 })),
  limited: fc.boolean(),
  think: fc.boolean(),
  stops: fc.oneof(fc.constant([]), fc.array(stop, { maxLength: 4 }), fc.constant([""])),
  format,
  size: fc.integer({ min: 1, max: 300 }),
});

describe("the lazy reply source against the eager planner it replaced (differential)", () => {
  it("gives the same chunks, schedule, eval_count and done_reason for every key and shape", () => {
    fc.assert(
      fc.property(key, input, (k, i) => {
        expect(planReply(k, i)).toEqual(eagerPlanReply(k, i));
      }),
      { numRuns: 1500 },
    );
  });

  it("the script token by token equals the whole script", () => {
    fc.assert(
      fc.property(key, fc.integer({ min: 0, max: 3000 }), (k, count) => {
        expect(syntheticTokens({ ...k, count })).toEqual(eagerTokens({ ...k, count }));
      }),
      { numRuns: 300 },
    );
  });

  it("applyStops over any tokens (empty ones too) equals a brute-force oracle", () => {
    const t = fc.string({ unit: fc.constantFrom("a", "b", " ", "é"), maxLength: 4 });
    fc.assert(
      fc.property(fc.array(t, { maxLength: 30 }), fc.array(t, { maxLength: 4 }), (ts, ss) => {
        expect(applyStops(ts, ss)).toEqual(eagerApplyStops(ts, ss));
      }),
      { numRuns: 3000 },
    );
  });

  it("produces chunks one at a time: next() after the end stays false and the counts stay put", () => {
    const s = new ReplySource(
      replySpec({ seed: 1, model: "m", prompt: "p" }, { count: 5, limited: true, think: false, stops: [], size: 5 }),
    );
    let n = 0;
    while (s.next()) n++;
    expect(n).toBe(5);
    expect(s.next()).toBe(false);
    expect([s.evalCount, s.doneReason]).toEqual([5, "length"]);
  });
});

describe("what the engine streams equals the eager plan (chunks, thinking, counts, context)", () => {
  const engineCase = fc.record({
    seed: fc.nat(),
    tokens: fc.integer({ min: 1, max: 600 }),
    model: fc.constantFrom("synthetic", "synthetic-think"),
    prompt: fc.string({ minLength: 1, maxLength: 30 }),
    numPredict: fc.option(fc.integer({ min: 0, max: 700 }), { nil: undefined }),
    stop: fc.array(stop, { maxLength: 3 }),
    format: fc.constantFrom("", '"json"'),
    raw: fc.boolean(),
  });

  it("for generate over many seeds, lengths, stops, thinking and formats", async () => {
    await fc.assert(
      fc.asyncProperty(engineCase, async (c) => {
        const engine = createSyntheticEngine({ seed: c.seed, tokens: c.tokens });
        const request = create(GenerateRequestSchema, {
          model: c.model,
          prompt: c.prompt,
          raw: c.raw,
          format: c.format,
          options: { stop: c.stop, ...(c.numPredict === undefined ? {} : { numPredict: c.numPredict }) },
        });
        const config = resolveSyntheticConfig({ seed: c.seed, tokens: c.tokens });
        const lazy = planGenerate(request, config);
        const prompt = `\n${c.prompt}\n`;
        const old = eagerPlanReply(
          { seed: c.seed, model: `${c.model}:latest`, prompt },
          {
            count: c.numPredict ?? c.tokens,
            limited: c.numPredict !== undefined,
            think: c.model === "synthetic-think",
            stops: c.stop,
            format: c.format === "" ? undefined : { kind: "json" },
            size: c.tokens,
          },
        );
        expect(lazy).toEqual(old);
        const chunks: GenerateResponse[] = [];
        for await (const x of engine.generate(request, backgroundContext())) chunks.push(x);
        const final = chunks.pop()!;
        expect(chunks.map((x) => x.thinking || x.response)).toEqual(old.texts);
        expect(chunks.map((x) => x.thinking !== "")).toEqual(old.texts.map((_, i) => i < old.thinking));
        expect([final.done, final.doneReason, final.metrics?.evalCount]).toEqual([true, old.doneReason, old.evalCount]);
        expect(final.context).toEqual(c.raw ? [] : replyContext([], prompt, old.texts));
      }),
      { numRuns: 150 },
    );
  });
});
