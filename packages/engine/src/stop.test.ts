import { create } from "@bufbuild/protobuf";
import { backgroundContext, Code, GenerateRequestSchema, type GenerateResponse, ModelwireError } from "@modelwire/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyStops, MAX_STOP_LENGTH, MAX_STOP_SEQUENCES } from "./stop.js";
import { createSyntheticEngine } from "./synthetic.js";

// A tiny alphabet, so stop sequences occur often and straddle token boundaries.
const text = (maxLength: number) => fc.string({ unit: fc.constantFrom("a", "b", " "), maxLength });
const tokens = fc.array(text(4), { maxLength: 24 });
const stops = fc.array(text(4), { maxLength: 4 });

const join = (xs: readonly string[]) => xs.join("");
/** The text sent once token `k` was generated. */
const sentBy = (r: ReturnType<typeof applyStops>, k: number) => join(r.chunks.filter((_, i) => r.at[i] <= k));

describe("applyStops (property tests)", () => {
  it("sends a prefix of the text that contains no stop sequence; stops only where one begins", () => {
    fc.assert(
      fc.property(tokens, stops, (ts, ss) => {
        const r = applyStops(ts, ss);
        const full = join(ts);
        const out = join(r.chunks);
        const live = ss.filter((s) => s.length > 0);
        expect(full.startsWith(out)).toBe(true);
        for (const s of live) expect(out.includes(s)).toBe(false);
        expect(r.chunks.every((c) => c.length > 0)).toBe(true);
        if (r.stopped) {
          expect(live.some((s) => full.startsWith(s, out.length))).toBe(true);
          // The stop was completed by the last token consumed, not by any earlier one.
          const before = join(ts.slice(0, r.consumed - 1));
          for (const s of live) expect(before.includes(s)).toBe(false);
          expect(live.some((s) => join(ts.slice(0, r.consumed)).includes(s))).toBe(true);
        } else {
          expect(out).toBe(full);
          expect(r.consumed).toBe(ts.length);
          for (const s of live) expect(full.includes(s)).toBe(false);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("never sends text before its token is generated, and holds back only what could still become a stop", () => {
    fc.assert(
      fc.property(tokens, stops, (ts, ss) => {
        const r = applyStops(ts, ss);
        const live = ss.filter((s) => s.length > 0);
        for (let i = 1; i < r.at.length; i++) expect(r.at[i]).toBeGreaterThan(r.at[i - 1]);
        const last = r.stopped ? r.consumed - 1 : ts.length - 1;
        for (let k = 0; k < last; k++) {
          const generated = join(ts.slice(0, k + 1));
          const sent = sentBy(r, k);
          expect(generated.startsWith(sent)).toBe(true);
          const unsent = generated.slice(sent.length);
          // What is held back is empty or a proper prefix of some stop sequence.
          if (unsent.length > 0) expect(live.some((s) => s.length > unsent.length && s.startsWith(unsent))).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("with one stop sequence, the reply is the text before its first occurrence, however the text is split", () => {
    fc.assert(
      fc.property(text(40), fc.array(fc.nat(40), { maxLength: 12 }), text(3), (full, cuts, stop) => {
        fc.pre(stop.length > 0);
        const points = [...new Set(cuts.filter((c) => c < full.length))].sort((a, b) => a - b);
        const ts = [0, ...points, full.length].slice(1).map((end, i, all) => full.slice(i === 0 ? 0 : all[i - 1], end));
        const at = full.indexOf(stop);
        const r = applyStops(ts, [stop]);
        expect(join(r.chunks)).toBe(at === -1 ? full : full.slice(0, at));
        expect(r.stopped).toBe(at !== -1);
      }),
      { numRuns: 2000 },
    );
  });

  it("ignores empty stop sequences and keeps every token without any", () => {
    expect(applyStops(["a", "b"], [""])).toEqual({ chunks: ["a", "b"], at: [0, 1], consumed: 2, stopped: false });
    expect(applyStops(["ab", "cd"], ["bc"])).toEqual({ chunks: ["a"], at: [0], consumed: 2, stopped: true });
    expect(applyStops(["x", "a", "b"], ["ab", "abc"])).toEqual({ chunks: ["x"], at: [0], consumed: 3, stopped: true });
  });

  it("is linear in long stop sequences (KMP), not quadratic", () => {
    const long = "a".repeat(MAX_STOP_LENGTH - 1);
    const r = applyStops(
      Array.from({ length: 2000 }, () => "aaaa"),
      [`${long}b`],
    );
    expect(r.stopped).toBe(false);
    expect(join(r.chunks)).toHaveLength(8000);
  });
});

async function collect(it: AsyncIterable<GenerateResponse>) {
  const chunks: GenerateResponse[] = [];
  for await (const c of it) chunks.push(c);
  return chunks;
}

describe("synthetic engine: options.stop", () => {
  const engine = createSyntheticEngine({ tokens: 12 });
  const base = { model: "synthetic", prompt: "stop sequences" };
  const tokensOf = (stop: string[]) =>
    engine.expectedGenerate(create(GenerateRequestSchema, { ...base, options: { stop } }));
  const all = tokensOf([]);
  const full = all.join("");

  it("ends before a stop sequence spanning a token boundary, with done_reason stop, the stop text unsent", async () => {
    // The end of token 4 and the start of token 5.
    const stop = `${all[4].slice(-2)}${all[5].slice(0, 3)}`;
    const at = full.indexOf(stop);
    const req = create(GenerateRequestSchema, { ...base, options: { stop: [stop] } });
    const chunks = await collect(engine.generate(req, backgroundContext()));
    const final = chunks.at(-1)!;
    const sent = chunks.filter((c) => !c.done).map((c) => c.response);
    expect(sent.join("")).toBe(full.slice(0, at));
    expect(sent).toEqual(engine.expectedGenerate(req));
    expect(final.doneReason).toBe("stop");
    expect(final.metrics?.evalCount).toBeLessThan(12);
    expect(final.metrics?.evalCount).toBeGreaterThanOrEqual(6);
  });

  it("a stop sequence that never occurs changes nothing, and num_predict still ends with length", async () => {
    const req = create(GenerateRequestSchema, { ...base, options: { stop: ["\u0000never"], numPredict: 12 } });
    const chunks = await collect(engine.generate(req, backgroundContext()));
    expect(chunks.filter((c) => !c.done).map((c) => c.response)).toEqual(all);
    expect(chunks.at(-1)!.doneReason).toBe("length");
  });

  it("a stop at the very start sends no text at all", async () => {
    const req = create(GenerateRequestSchema, { ...base, options: { stop: [all[0]] } });
    const chunks = await collect(engine.generate(req, backgroundContext()));
    expect(chunks).toHaveLength(1);
    expect(chunks[0]).toMatchObject({ done: true, doneReason: "stop", response: "" });
  });

  it("too many or too long stop sequences are InvalidArgument naming options.stop", () => {
    const many = create(GenerateRequestSchema, {
      ...base,
      options: { stop: Array.from({ length: MAX_STOP_SEQUENCES + 1 }, (_, i) => `s${i}`) },
    });
    const long = create(GenerateRequestSchema, { ...base, options: { stop: ["x".repeat(MAX_STOP_LENGTH + 1)] } });
    for (const req of [many, long]) {
      const err = (() => {
        try {
          engine.generate(req, backgroundContext());
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(ModelwireError);
      expect((err as ModelwireError).code).toBe(Code.InvalidArgument);
      expect((err as ModelwireError).metadata.field).toBe("options.stop");
    }
  });
});
