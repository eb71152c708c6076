import { create } from "@bufbuild/protobuf";
import { Code, GenerateRequestSchema, ModelwireError } from "@modelwire/core";
import { describe, expect, it } from "vitest";
import { createAdmission } from "./admission.js";
import { guardEngine } from "./guarded-engine.js";
import { createSyntheticEngine } from "./synthetic.js";

describe("admission", () => {
  it("admits up to the limit, queues up to the queue, refuses the rest at once", async () => {
    const a = createAdmission({ maxInFlight: 2, maxQueue: 1 });
    const r1 = await a.acquire();
    const r2 = await a.acquire();
    const queued = a.acquire();
    await expect(a.acquire()).rejects.toMatchObject({ code: Code.ResourceExhausted });
    expect(a.stats()).toMatchObject({ inFlight: 2, queued: 1, rejected: 1 });
    r1();
    r1(); // idempotent
    const r3 = await queued;
    expect(a.stats()).toMatchObject({ inFlight: 2, queued: 0 });
    r2();
    r3();
    expect(a.stats()).toMatchObject({ inFlight: 0, admitted: 3 });
  });

  it("a waiter that aborts leaves the queue with its reason", async () => {
    const a = createAdmission({ maxInFlight: 1, maxQueue: 5 });
    const r = await a.acquire();
    const ac = new AbortController();
    const p = a.acquire(ac.signal);
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: Code.Canceled });
    expect(a.stats().queued).toBe(0);
    r();
  });

  it("rejects bad limits with InvalidArgument", () => {
    expect(() => createAdmission({ maxInFlight: -1 })).toThrowError(ModelwireError);
    expect(() => createAdmission({ maxInFlight: 1, maxQueue: 0.5 })).toThrowError(/maxQueue/);
  });

  it("a guarded engine refuses the excess before any chunk and completes the admitted streams", async () => {
    const engine = createSyntheticEngine({ interTokenMs: 5, tokens: 5 });
    const guarded = guardEngine(engine, createAdmission({ maxInFlight: 2 }));
    const req = create(GenerateRequestSchema, { model: "synthetic", prompt: "p" });
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, async () => {
        const out: string[] = [];
        for await (const c of guarded.generate(req, { signal: new AbortController().signal })) {
          if (!c.done) out.push(c.response);
        }
        return out;
      }),
    );
    const ok = results.filter((r) => r.status === "fulfilled");
    const refused = results.filter((r) => r.status === "rejected");
    expect(ok).toHaveLength(2);
    expect(refused).toHaveLength(4);
    for (const r of refused) expect((r as PromiseRejectedResult).reason.code).toBe(Code.ResourceExhausted);
    for (const r of ok) expect((r as PromiseFulfilledResult<string[]>).value).toEqual(engine.expectedGenerate(req));
  });
});
