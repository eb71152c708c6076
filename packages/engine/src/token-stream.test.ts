import { create } from "@bufbuild/protobuf";
import {
  backgroundContext,
  Code,
  GenerateRequestSchema,
  ModelwireError,
  ON_STREAM_END,
  type StreamEndHook,
} from "@modelwire/core";
import { describe, expect, it } from "vitest";
import { createSyntheticEngine } from "./synthetic.js";

const REQ = create(GenerateRequestSchema, { model: "synthetic", prompt: "count me" });

describe("how a synthetic stream's end is counted", () => {
  it.each([
    ["zero-delay", 0],
    ["waiting", 2],
  ])("a consumer that stops before the final chunk (%s) is one cancellation, not an error", async (_, ms) => {
    const engine = createSyntheticEngine({ tokens: 50, interTokenMs: ms });
    let seen = 0;
    for await (const _chunk of engine.generate(REQ, backgroundContext())) if (++seen === 3) break;
    expect(engine.stats()).toMatchObject({ requests: 1, inFlight: 0, cancelled: 1, errors: 0, tokens: 3 });
  });

  it("the signal fired while no next() was pending, then return(): one cancellation (the server's case)", async () => {
    const engine = createSyntheticEngine({ tokens: 50, interTokenMs: 1 });
    const ac = new AbortController();
    const it = engine.generate(REQ, { signal: ac.signal })[Symbol.asyncIterator]();
    expect((await it.next()).done).toBe(false);
    // A server writing this chunk sees its client gone, and stops pulling without asking for another.
    ac.abort(new ModelwireError("client disconnected", Code.Canceled));
    expect(await it.return?.()).toEqual({ done: true, value: undefined });
    expect(engine.stats()).toMatchObject({ inFlight: 0, cancelled: 1, errors: 0 });
    expect(await it.next()).toEqual({ done: true, value: undefined });
    expect(engine.stats().cancelled).toBe(1);
  });

  it("return() while a next() waits, then the signal fires: counted once", async () => {
    const engine = createSyntheticEngine({ tokens: 50, interTokenMs: 200 });
    const ac = new AbortController();
    const it = engine.generate(REQ, { signal: ac.signal })[Symbol.asyncIterator]();
    expect((await it.next()).done).toBe(false);
    const pending = it.next();
    await it.return?.();
    ac.abort(new ModelwireError("gone", Code.Canceled));
    const settled = await pending.then(
      (r) => r,
      (e: unknown) => e,
    );
    // Either the pending step saw the stream returned (done) or the signal (the reason); neither counts again.
    expect(settled instanceof ModelwireError || (settled as IteratorResult<unknown>).done === true).toBe(true);
    expect(engine.stats()).toMatchObject({ requests: 1, inFlight: 0, cancelled: 1, errors: 0 });
  });

  it("return() after the final chunk is the normal end; return() before the first next() counts nothing", async () => {
    const engine = createSyntheticEngine({ tokens: 4 });
    for await (const chunk of engine.generate(REQ, backgroundContext())) if (chunk.done) break;
    expect(engine.stats()).toMatchObject({ requests: 1, inFlight: 0, cancelled: 0, errors: 0, tokens: 4 });
    await engine.generate(REQ, backgroundContext())[Symbol.asyncIterator]().return?.();
    expect(engine.stats()).toMatchObject({ requests: 1, inFlight: 0, cancelled: 0, errors: 0 });
  });

  it("a stream read to its end counts no cancellation", async () => {
    const engine = createSyntheticEngine({ tokens: 4, interTokenMs: 1 });
    const chunks = [];
    for await (const chunk of engine.generate(REQ, backgroundContext())) chunks.push(chunk);
    expect(chunks.at(-1)?.done).toBe(true);
    expect(engine.stats()).toMatchObject({ requests: 1, inFlight: 0, cancelled: 0, errors: 0 });
  });
});

describe("a synthetic stream's end hook (ON_STREAM_END)", () => {
  const hooked = (engine: ReturnType<typeof createSyntheticEngine>, signal = backgroundContext().signal) => {
    const it = engine.generate(REQ, { signal })[Symbol.asyncIterator]() as AsyncIterator<unknown> &
      Partial<StreamEndHook>;
    const calls = { n: 0 };
    expect(typeof it[ON_STREAM_END]).toBe("function");
    it[ON_STREAM_END]?.(() => calls.n++);
    return { it, calls };
  };

  it("fires once, on the next() that returns done, not on the final chunk itself", async () => {
    const { it, calls } = hooked(createSyntheticEngine({ tokens: 3 }));
    let r = await it.next();
    while (!(r.value as { done: boolean }).done) r = await it.next();
    expect(calls.n).toBe(0);
    expect(await it.next()).toEqual({ done: true, value: undefined });
    expect(calls.n).toBe(1);
    await it.next();
    await it.return?.();
    expect(calls.n).toBe(1);
  });

  it("fires once on return() midway, on a failure (abort) and on throw() before the first next()", async () => {
    const early = hooked(createSyntheticEngine({ tokens: 10 }));
    await early.it.next();
    await early.it.return?.();
    expect(early.calls.n).toBe(1);

    const ac = new AbortController();
    const failing = hooked(createSyntheticEngine({ tokens: 10, interTokenMs: 1 }), ac.signal);
    await failing.it.next();
    ac.abort(new ModelwireError("gone", Code.Canceled));
    await expect(failing.it.next()).rejects.toMatchObject({ code: Code.Canceled });
    expect(failing.calls.n).toBe(1);

    const thrown = hooked(createSyntheticEngine({ tokens: 10 }));
    await expect(thrown.it.throw?.(new Error("stop"))).rejects.toThrow("stop");
    expect(thrown.calls.n).toBe(1);
  });

  it("fires at once when registered on a stream that already ended", async () => {
    const it = createSyntheticEngine({ tokens: 2 })
      .generate(REQ, backgroundContext())
      [Symbol.asyncIterator]() as AsyncIterator<unknown> & StreamEndHook;
    await it.return?.();
    let n = 0;
    it[ON_STREAM_END](() => n++);
    expect(n).toBe(1);
  });
});
