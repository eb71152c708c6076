import { create } from "@bufbuild/protobuf";
import { Code, GenerateRequestSchema, ModelwireError } from "@modelwire/core";
import { describe, expect, it, vi } from "vitest";
import { createSyntheticEngine } from "./synthetic.js";

const req = create(GenerateRequestSchema, { model: "synthetic", prompt: "timing" });
/** What the fake clock replaces: the engine schedules with `performance.now()` and `setTimeout`. */
const FAKE: NonNullable<Parameters<typeof vi.useFakeTimers>[0]>["toFake"] = [
  "setTimeout",
  "clearTimeout",
  "setImmediate",
  "clearImmediate",
  "performance",
  "Date",
];

/** Consumes a stream in the background, recording `performance.now()` at each token. */
function collect(stream: AsyncIterable<{ done: boolean }>) {
  const at: number[] = [];
  const done = (async () => {
    for await (const c of stream) if (!c.done) at.push(performance.now());
  })();
  return { at, done };
}

describe("synthetic engine: timing knobs", () => {
  it("waits the time to first token, then spaces tokens by the inter-token delay: exactly, on a fake clock", async () => {
    vi.useFakeTimers({ toFake: FAKE });
    try {
      const e = createSyntheticEngine({ ttftMs: 60, interTokenMs: 20, tokens: 6 });
      const { at, done } = collect(e.generate(req, { signal: new AbortController().signal }));
      await vi.advanceTimersByTimeAsync(59);
      expect(at).toEqual([]);
      await vi.advanceTimersByTimeAsync(200);
      await done;
      // Token i is due at ttft + i × delay and comes exactly then: not before, and not one timer slop later.
      expect(at).toEqual([60, 80, 100, 120, 140, 160]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("a token never comes before its slot on the real clock (timers may fire early; the sleep waits out the rest)", async () => {
    const e = createSyntheticEngine({ ttftMs: 60, interTokenMs: 20, tokens: 6 });
    const start = performance.now();
    const at: number[] = [];
    for await (const c of e.generate(req, { signal: new AbortController().signal })) {
      if (!c.done) at.push(performance.now() - start);
    }
    expect(at).toHaveLength(6);
    // Lower bounds only: a loaded machine makes tokens late, never early. How late is the fake-clock test's job.
    for (let i = 0; i < at.length; i++) expect(at[i]).toBeGreaterThanOrEqual(60 + 20 * i - 1);
  });

  it("does not drift: a late pull makes the next waits shorter instead of pushing every later token back", async () => {
    vi.useFakeTimers({ toFake: FAKE });
    try {
      const e = createSyntheticEngine({ interTokenMs: 1, tokens: 20 });
      const at: number[] = [];
      const done = (async () => {
        for await (const c of e.generate(req, { signal: new AbortController().signal })) {
          if (c.done) continue;
          at.push(performance.now());
          // The consumer (or a busy event loop) is 5 ms late once, after the third token.
          if (at.length === 3) await new Promise((r) => setTimeout(r, 5));
        }
      })();
      await vi.advanceTimersByTimeAsync(100);
      await done;
      expect(at).toHaveLength(20);
      // Token i is due at i ms. Tokens 3-7 fell due during the stall (2-7 ms) and come at once when it ends; from
      // token 8 on, each is on its slot again. A relative schedule (sleep `interTokenMs` after each token) would
      // end at 24 ms, not 19.
      expect(at.slice(0, 3)).toEqual([0, 1, 2]);
      expect(at.slice(3, 8)).toEqual([7, 7, 7, 7, 7]);
      expect(at.slice(8)).toEqual([8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("reports the time to first token as prompt_eval_duration", async () => {
    const e = createSyntheticEngine({ ttftMs: 30, tokens: 2 });
    let last;
    for await (const c of e.generate(req, { signal: new AbortController().signal })) last = c;
    expect(Number(last!.metrics!.promptEvalDuration) / 1e6).toBeGreaterThanOrEqual(29);
  });

  it("reports durations measured on its clock, not computed from the knobs (a late consumer shows in eval_duration)", async () => {
    vi.useFakeTimers({ toFake: FAKE });
    try {
      const e = createSyntheticEngine({ ttftMs: 10, interTokenMs: 5, tokens: 4 });
      let last:
        | {
            metrics?: {
              totalDuration: bigint;
              loadDuration: bigint;
              promptEvalDuration: bigint;
              evalDuration: bigint;
              evalCount: number;
            };
          }
        | undefined;
      const done = (async () => {
        let n = 0;
        for await (const c of e.generate(req, { signal: new AbortController().signal })) {
          if (c.done) last = c;
          // The consumer is 50 ms late after the second token: the reply really took longer than the knobs say.
          else if (++n === 2) await new Promise((r) => setTimeout(r, 50));
        }
      })();
      await vi.advanceTimersByTimeAsync(200);
      await done;
      const ms = (ns: bigint | undefined) => Number(ns ?? 0n) / 1e6;
      const m = last!.metrics!;
      expect(ms(m.promptEvalDuration)).toBe(10);
      // Tokens are due at 10, 15, 20, 25 ms; the second came at 15, the pull after it at 65: eval took 55 ms,
      // where ttft + interToken × (n − 1) would claim 15.
      expect(ms(m.evalDuration)).toBe(55);
      expect(ms(m.totalDuration)).toBe(ms(m.loadDuration) + ms(m.promptEvalDuration) + ms(m.evalDuration));
      expect(m.evalCount).toBe(4);
    } finally {
      vi.useRealTimers();
    }
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
  it("stops at the abort itself, not at the next tick, and sends no token after it (fake clock)", async () => {
    vi.useFakeTimers({ toFake: FAKE });
    try {
      const e = createSyntheticEngine({ interTokenMs: 50, tokens: 100 });
      const ac = new AbortController();
      const it = e.generate(req, { signal: ac.signal })[Symbol.asyncIterator]();
      const got: string[] = [];
      for (let i = 0; i < 3; i++) {
        const next = it.next(); // token i is due at i × 50 ms
        if (i > 0) await vi.advanceTimersByTimeAsync(50);
        const r = await next;
        if (!r.done) got.push(r.value.response);
      }
      expect(got).toHaveLength(3);
      const pending = it.next(); // the fourth token is due at 150 ms
      await vi.advanceTimersByTimeAsync(10);
      let outcome: unknown = "pending";
      pending.then(
        () => {
          outcome = "resolved";
        },
        (err) => {
          outcome = err;
        },
      );
      ac.abort();
      // Microtasks only: the clock does not move, so a sleep that ignored the signal would still be pending.
      await vi.advanceTimersByTimeAsync(0);
      expect(outcome).toBeInstanceOf(ModelwireError);
      expect((outcome as ModelwireError).code).toBe(Code.Canceled);
      expect(await it.next()).toMatchObject({ done: true });
      expect(e.stats()).toMatchObject({ inFlight: 0, cancelled: 1, tokens: 3 });
    } finally {
      vi.useRealTimers();
    }
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
