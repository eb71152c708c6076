import { create } from "@bufbuild/protobuf";
import { Code, GenerateRequestSchema, ModelwireError } from "@modelwire/core";
import { describe, expect, it } from "vitest";
import { createSyntheticEngine } from "./synthetic.js";

const req = create(GenerateRequestSchema, { model: "synthetic", prompt: "timing" });

describe("synthetic engine: timing knobs", () => {
  it("waits the time to first token, then spaces tokens by the inter-token delay (generous bounds)", async () => {
    const e = createSyntheticEngine({ ttftMs: 60, interTokenMs: 20, tokens: 6 });
    const start = performance.now();
    const at: number[] = [];
    for await (const c of e.generate(req, { signal: new AbortController().signal })) {
      if (!c.done) at.push(performance.now() - start);
    }
    expect(at).toHaveLength(6);
    expect(at[0]).toBeGreaterThanOrEqual(59);
    // Each token is scheduled at ttft + i × delay; a token never comes before its slot.
    for (let i = 1; i < at.length; i++) expect(at[i]).toBeGreaterThanOrEqual(60 + 20 * i - 1);
    // Order and a loose upper bound: the whole stream is not wildly late (the machine may be loaded).
    expect(at[5]).toBeLessThan(60 + 20 * 5 + 1000);
  });

  it("does not drift: many short delays add up to about their sum, not sum × timer slop", async () => {
    const e = createSyntheticEngine({ interTokenMs: 1, tokens: 256 });
    const start = performance.now();
    let n = 0;
    for await (const c of e.generate(req, { signal: new AbortController().signal })) if (!c.done) n++;
    const elapsed = performance.now() - start;
    expect(n).toBe(256);
    expect(elapsed).toBeGreaterThanOrEqual(254);
    // setTimeout(1) alone costs ≥ 1.1 ms per call; an absolute schedule catches up instead of accumulating it.
    expect(elapsed).toBeLessThan(256 * 2);
  });

  it("reports the time to first token as prompt_eval_duration", async () => {
    const e = createSyntheticEngine({ ttftMs: 30, tokens: 2 });
    let last;
    for await (const c of e.generate(req, { signal: new AbortController().signal })) last = c;
    expect(Number(last!.metrics!.promptEvalDuration) / 1e6).toBeGreaterThanOrEqual(29);
  });

  it("zero-delay mode streams many tokens without timers and still yields to the event loop", async () => {
    const e = createSyntheticEngine({ tokens: 1000 });
    // Another task that only runs when the loop turns: it must get turns while the stream is produced.
    let ticks = 0;
    let running = true;
    const spin = () => {
      ticks++;
      if (running) setImmediate(spin);
    };
    setImmediate(spin);
    let n = 0;
    let ticksBeforeEnd = 0;
    for await (const c of e.generate(req, { signal: new AbortController().signal })) {
      if (!c.done) n++;
      else ticksBeforeEnd = ticks;
    }
    running = false;
    expect(n).toBe(1000);
    expect(e.stats().tokens).toBe(1000);
    expect(ticksBeforeEnd).toBeGreaterThanOrEqual(5);
  });
});

describe("synthetic engine: cancellation", () => {
  it("stops within one inter-token interval and sends no token after the abort", async () => {
    const e = createSyntheticEngine({ interTokenMs: 50, tokens: 100 });
    const ac = new AbortController();
    const got: number[] = [];
    let abortedAt = 0;
    let err: unknown;
    const start = performance.now();
    try {
      for await (const _chunk of e.generate(req, { signal: ac.signal })) {
        got.push(performance.now() - start);
        if (got.length === 3) {
          setTimeout(() => {
            abortedAt = performance.now() - start;
            ac.abort();
          }, 10);
        }
      }
    } catch (e) {
      err = e;
    }
    const endedAt = performance.now() - start;
    expect(err).toBeInstanceOf(ModelwireError);
    expect((err as ModelwireError).code).toBe(Code.Canceled);
    expect(got.every((t) => t <= abortedAt)).toBe(true);
    expect(got.length).toBeLessThan(6);
    // A pending sleep is interrupted by the abort itself, not by the next tick.
    expect(endedAt - abortedAt).toBeLessThan(50);
    expect(e.stats()).toMatchObject({ inFlight: 0, cancelled: 1 });
  });

  it("a deadline reason surfaces as DeadlineExceeded", async () => {
    const e = createSyntheticEngine({ ttftMs: 10_000 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(new ModelwireError("deadline exceeded", Code.DeadlineExceeded)), 20);
    let err: unknown;
    try {
      for await (const _ of e.generate(req, { signal: ac.signal })) {
        // no token expected
      }
    } catch (e) {
      err = e;
    }
    expect((err as ModelwireError).code).toBe(Code.DeadlineExceeded);
  });

  it("breaking out of the loop ends the stream and frees its slot in the stats", async () => {
    const e = createSyntheticEngine({ tokens: 50 });
    for await (const c of e.generate(req, { signal: new AbortController().signal })) {
      if (c.response) break;
    }
    expect(e.stats()).toMatchObject({ requests: 1, inFlight: 0, tokens: 1 });
  });
});
