import { describe, expect, it } from "vitest";
import { Code } from "./code.js";
import { createEngineContext } from "./engine-context.js";
import { ModelwireError } from "./error.js";

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
});
