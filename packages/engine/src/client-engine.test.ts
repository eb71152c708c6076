import { create } from "@bufbuild/protobuf";
import {
  backgroundContext,
  type CallOptions,
  Code,
  GenerateRequestSchema,
  type InferenceClient,
  ModelwireError,
} from "@modelwire/core";
import { describe, expect, it } from "vitest";
import { createUpstreamEngine } from "./client-engine.js";
import { createSyntheticEngine } from "./synthetic.js";

/** An in-process InferenceClient over a synthetic engine, recording what options reach it. */
function fakeClient(seen: CallOptions[]): InferenceClient {
  const engine = createSyntheticEngine({ tokens: 4, interTokenMs: 2 });
  const ctx = (o?: CallOptions) => {
    seen.push(o ?? {});
    return { signal: o?.signal ?? new AbortController().signal };
  };
  return {
    transport: "fake",
    generate: (r, o) => engine.generate(create(GenerateRequestSchema, r), ctx(o)),
    chat: () => {
      throw new ModelwireError("no", Code.Unimplemented);
    },
    embed: () => Promise.reject(new Error("plain failure")),
    list: (o) => engine.list(ctx(o)),
    running: (o) => engine.running(ctx(o)),
    show: (r, o) => engine.show(r as never, ctx(o)),
    version: (o) => engine.version(ctx(o)),
    stats: () => ({ transport: "fake", open: 1, active: 0, idle: 1, queued: 0 }),
    close: async () => {},
  };
}

describe("upstream engine", () => {
  it("passes chunks through, counts tokens and forwards signal and deadline", async () => {
    const seen: CallOptions[] = [];
    const up = createUpstreamEngine(fakeClient(seen));
    const req = create(GenerateRequestSchema, { model: "synthetic", prompt: "x" });
    const out: string[] = [];
    const deadline = Date.now() + 60_000;
    for await (const c of up.generate(req, { signal: new AbortController().signal, deadline }))
      if (!c.done) out.push(c.response);
    expect(out).toEqual(createSyntheticEngine({ tokens: 4 }).expectedGenerate(req));
    expect(seen[0].deadline).toBe(deadline);
    expect(seen[0].signal).toBeDefined();
    expect(up.stats()).toMatchObject({ requests: 1, tokens: 4, inFlight: 0 });
    expect(up.upstreamStats().transport).toBe("fake");
  });

  it("normalises upstream failures to ModelwireError and counts them", async () => {
    const up = createUpstreamEngine(fakeClient([]));
    await expect(up.embed({} as never, backgroundContext())).rejects.toBeInstanceOf(ModelwireError);
    expect(up.stats().errors).toBe(1);
  });

  it("a consumer that stops before the final chunk counts a cancellation; one that stops after it does not", async () => {
    const up = createUpstreamEngine(fakeClient([]));
    const req = create(GenerateRequestSchema, { model: "synthetic", prompt: "x" });
    for await (const c of up.generate(req, backgroundContext())) if (!c.done) break;
    expect(up.stats()).toMatchObject({ requests: 1, inFlight: 0, cancelled: 1, errors: 0 });
    for await (const c of up.generate(req, backgroundContext())) if (c.done) break;
    expect(up.stats()).toMatchObject({ requests: 2, inFlight: 0, cancelled: 1, errors: 0 });
    for await (const _ of up.generate(req, backgroundContext())) {
      // to the end
    }
    expect(up.stats()).toMatchObject({ requests: 3, inFlight: 0, cancelled: 1, errors: 0 });
  });

  it("cancels the upstream stream through the context's signal", async () => {
    const up = createUpstreamEngine(fakeClient([]));
    const ac = new AbortController();
    const req = create(GenerateRequestSchema, { model: "synthetic", prompt: "x" });
    let err: unknown;
    try {
      for await (const _ of up.generate(req, { signal: ac.signal })) ac.abort();
    } catch (e) {
      err = e;
    }
    expect((err as ModelwireError).code).toBe(Code.Canceled);
    expect(up.stats()).toMatchObject({ cancelled: 1, inFlight: 0 });
  });
});
