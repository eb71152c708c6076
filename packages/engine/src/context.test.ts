import { create } from "@bufbuild/protobuf";
import { Code, GenerateRequestSchema, ModelwireError } from "@modelwire/core";
import { describe, expect, it } from "vitest";
import { createEngineContext } from "./context.js";
import type { EngineContext } from "./engine.js";
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

describe("createEngineContext", () => {
  it("a signal read after abort is born aborted with the reason", () => {
    const ctx = createEngineContext();
    expect(ctx.aborted).toBe(false);
    const reason = new ModelwireError("gone", Code.Canceled);
    ctx.abort(reason);
    ctx.abort(new ModelwireError("later", Code.DeadlineExceeded));
    expect(ctx.aborted).toBe(true);
    expect(ctx.reason).toBe(reason);
    expect(ctx.signal.aborted).toBe(true);
    expect(ctx.signal.reason).toBe(reason);
  });

  it("a signal read before abort fires once with the reason", () => {
    const ctx = createEngineContext(123);
    expect(ctx.deadline).toBe(123);
    const fired: unknown[] = [];
    ctx.signal.addEventListener("abort", () => fired.push(ctx.signal.reason));
    expect(ctx.signal).toBe(ctx.signal);
    const reason = new ModelwireError("deadline exceeded", Code.DeadlineExceeded);
    ctx.abort(reason);
    ctx.abort(reason);
    expect(fired).toEqual([reason]);
  });

  it("a zero-delay synthetic stream never creates the signal; one that waits does", async () => {
    const fast = countingContext();
    const chunks = [];
    for await (const c of createSyntheticEngine({ tokens: 8 }).generate(REQ, fast.ctx)) chunks.push(c);
    expect(chunks).toHaveLength(9);
    expect(fast.ctx.reads()).toBe(0);

    const slow = countingContext();
    for await (const _ of createSyntheticEngine({ tokens: 2, interTokenMs: 1 }).generate(REQ, slow.ctx)) {
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
