import { Code, createEngineContext, ModelwireError } from "@modelwire/core";
import { describe, expect, it } from "vitest";
import { createCallCounter } from "./call-counter.js";

interface Chunk {
  text: string;
  done: boolean;
}

/** A source of `n` content chunks and a final one, recording whether its `finally` ran. */
function source(n: number, failAt?: number) {
  const seen = { opened: 0, closed: 0 };
  async function* gen(): AsyncGenerator<Chunk> {
    seen.opened++;
    try {
      for (let i = 0; i < n; i++) {
        if (i === failAt) throw new Error("socket hang up");
        yield { text: `t${i}`, done: false };
      }
      yield { text: "", done: true };
    } finally {
      seen.closed++;
    }
  }
  return { gen, seen };
}
const text = (c: Chunk) => c.text;

describe("the call counter every wrapping engine shares", () => {
  it("counts requests and tokens, and a stream read to its end as neither cancelled nor failed", async () => {
    const c = createCallCounter();
    const { gen, seen } = source(3);
    const got: string[] = [];
    for await (const x of c.stream(createEngineContext(), gen, text)) got.push(x.text);
    expect(got).toEqual(["t0", "t1", "t2", ""]);
    expect(c.stats()).toEqual({ requests: 1, inFlight: 0, tokens: 3, cancelled: 0, errors: 0 });
    expect(seen).toEqual({ opened: 1, closed: 1 });
  });

  it("counts return() before the final chunk (no next() pending, no signal) as cancelled, and closes the source", async () => {
    const c = createCallCounter();
    const { gen, seen } = source(3);
    const s = c.stream(createEngineContext(), gen, text);
    expect((await s.next()).value?.text).toBe("t0");
    expect(c.stats().inFlight).toBe(1);
    await s.return(undefined);
    expect(c.stats()).toMatchObject({ requests: 1, inFlight: 0, cancelled: 1, errors: 0 });
    expect(seen.closed).toBe(1);
  });

  it("counts return() after the final chunk as the normal end", async () => {
    const c = createCallCounter();
    const { gen } = source(2);
    for await (const x of c.stream(createEngineContext(), gen, text)) if (x.done) break;
    expect(c.stats()).toMatchObject({ requests: 1, inFlight: 0, cancelled: 0, errors: 0 });
  });

  it("counts a failure as an error, or as cancelled when the call was aborted, once either way", async () => {
    const c = createCallCounter();
    const failing = source(3, 1);
    await expect(
      (async () => {
        for await (const _ of c.stream(createEngineContext(), failing.gen, text));
      })(),
    ).rejects.toBeInstanceOf(ModelwireError);
    expect(c.stats()).toMatchObject({ requests: 1, inFlight: 0, cancelled: 0, errors: 1, tokens: 1 });
    const ctx = createEngineContext();
    const aborted = source(3, 1);
    await expect(
      (async () => {
        for await (const _ of c.stream(ctx, aborted.gen, text)) ctx.abort(new ModelwireError("gone", Code.Canceled));
      })(),
    ).rejects.toBeInstanceOf(ModelwireError);
    expect(c.stats()).toMatchObject({ requests: 2, inFlight: 0, cancelled: 1, errors: 1 });
  });

  it("counts what open() throws, and unary calls the same way", async () => {
    const c = createCallCounter();
    const s = c.stream<Chunk>(
      createEngineContext(),
      () => {
        throw new ModelwireError("too long", Code.InvalidArgument);
      },
      text,
    );
    await expect(s.next()).rejects.toMatchObject({ code: Code.InvalidArgument });
    expect(await c.unary(createEngineContext(), async () => 7)).toBe(7);
    await expect(c.unary(createEngineContext(), () => Promise.reject(new Error("plain")))).rejects.toBeInstanceOf(
      ModelwireError,
    );
    const ctx = createEngineContext();
    ctx.abort(new ModelwireError("gone", Code.Canceled));
    await expect(c.unary(ctx, () => Promise.reject(ctx.signal.reason))).rejects.toMatchObject({ code: Code.Canceled });
    expect(c.stats()).toEqual({ requests: 4, inFlight: 0, tokens: 0, cancelled: 1, errors: 2 });
    c.reset();
    expect(c.stats()).toEqual({ requests: 0, inFlight: 0, tokens: 0, cancelled: 0, errors: 0 });
  });
});
