import { create } from "@bufbuild/protobuf";
import { Code, createEngineContext, type EngineContext, GenerateRequestSchema, ModelwireError } from "@modelwire/core";
import { describe, expect, it } from "vitest";
import { createSyntheticEngine } from "./synthetic.js";

const REQ = create(GenerateRequestSchema, { model: "synthetic:latest", prompt: "hello" });

/** A context that counts reads of `signal` and can be aborted through its `aborted` flag alone. */
function countingContext() {
  const inner = createEngineContext();
  let reads = 0;
  const ctx: EngineContext & { reads: () => number } = {
    get signal() {
      reads++;
      return inner.signal;
    },
    get aborted() {
      return inner.aborted;
    },
    reads: () => reads,
  };
  return { ctx, inner };
}

describe("the synthetic engine on a lazy engine context", () => {
  it("a zero-delay synthetic stream never creates the signal; one that waits does", async () => {
    const fast = countingContext();
    const chunks = [];
    for await (const c of createSyntheticEngine({ tokens: 8 }).generate(REQ, fast.ctx)) chunks.push(c);
    expect(chunks).toHaveLength(9);
    expect(fast.ctx.reads()).toBe(0);

    // A 200 ms first-token wait is still ahead when the first next() asks, even on a loaded machine (a 1 ms gap
    // between tokens is often already due by then, so no timer is armed and the signal is never read).
    const slow = countingContext();
    for await (const _ of createSyntheticEngine({ tokens: 2, ttftMs: 200 }).generate(REQ, slow.ctx)) {
      // drain
    }
    expect(slow.ctx.reads()).toBeGreaterThan(0);
  });

  it("aborting through the flag stops a zero-delay stream with the reason", async () => {
    const { ctx, inner } = countingContext();
    const engine = createSyntheticEngine({ tokens: 8 });
    const it = engine.generate(REQ, ctx)[Symbol.asyncIterator]();
    expect((await it.next()).done).toBe(false);
    const reason = new ModelwireError("client cancelled", Code.Canceled);
    inner.abort(reason);
    await expect(it.next()).rejects.toBe(reason);
    expect(engine.stats().cancelled).toBe(1);
    expect(engine.stats().inFlight).toBe(0);
  });
});
