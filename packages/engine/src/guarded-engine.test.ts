import { create } from "@bufbuild/protobuf";
import type { Engine, EngineContext } from "@modelwire/core";
import {
  Code,
  createEngineContext,
  EmbedRequestSchema,
  GenerateRequestSchema,
  type GenerateResponse,
  ModelwireError,
  newGenerateResponse,
  ON_STREAM_END,
  type StreamEndHook,
} from "@modelwire/core";
import { describe, expect, it } from "vitest";
import { createAdmission } from "./admission.js";
import { guardEngine } from "./guarded-engine.js";
import { createSyntheticEngine } from "./synthetic.js";

const REQ = create(GenerateRequestSchema, { model: "synthetic", prompt: "p" });
const EMBED = create(EmbedRequestSchema, { model: "synthetic-embed:latest", input: ["x"] });

/** A lazy engine context (as the MCP server makes them) that counts how often its signal is read. */
function counting(): EngineContext & { abort(reason: ModelwireError): void; readonly reads: number } {
  const ctx = createEngineContext();
  let reads = 0;
  return {
    get signal() {
      reads++;
      return ctx.signal;
    },
    get aborted() {
      return ctx.aborted;
    },
    get deadline() {
      return ctx.deadline;
    },
    abort: (reason) => ctx.abort(reason),
    get reads() {
      return reads;
    },
  };
}

/** An engine whose generate stream yields `script`, throwing where it holds an Error; `closed` once it unwound. */
function scripted(script: (GenerateResponse | Error)[]) {
  const state = { opened: 0, closed: 0 };
  const engine: Engine = {
    ...createSyntheticEngine(),
    async *generate() {
      state.opened++;
      try {
        for (const s of script) {
          if (s instanceof Error) throw s;
          yield s;
        }
      } finally {
        state.closed++;
      }
    },
  };
  return { engine, state };
}

const chunk = (text: string) => newGenerateResponse({ model: "m", response: text });
const final = () => newGenerateResponse({ model: "m", done: true, doneReason: "stop" });

async function drain<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const c of it) out.push(c);
  return out;
}

describe("guardEngine", () => {
  it("takes a free slot without reading ctx.signal, and frees it when the stream completes", async () => {
    const engine = createSyntheticEngine({ tokens: 3 });
    const admission = createAdmission({ maxInFlight: 1 });
    const guarded = guardEngine(engine, admission);
    for (let i = 0; i < 3; i++) {
      const ctx = counting();
      expect(await drain(guarded.generate(REQ, ctx))).toHaveLength(4);
      expect(ctx.reads).toBe(0);
      expect(admission.stats().inFlight).toBe(0);
    }
    const ctx = counting();
    await guarded.embed(EMBED, ctx);
    expect(ctx.reads).toBe(0);
    expect(admission.stats()).toMatchObject({ inFlight: 0, admitted: 4 });
  });

  it("a queued call waits with the signal, starts when a slot frees, and leaves the queue when aborted", async () => {
    const admission = createAdmission({ maxInFlight: 1, maxQueue: 2 });
    const guarded = guardEngine(createSyntheticEngine({ tokens: 2 }), admission);
    const holder = guarded.generate(REQ, counting())[Symbol.asyncIterator]();
    await holder.next(); // holds the only slot
    const waiting = counting();
    const queued = drain(guarded.generate(REQ, waiting));
    const leaving = counting();
    const aborted = drain(guarded.generate(REQ, leaving));
    await Promise.resolve();
    expect(admission.stats().queued).toBe(2);
    expect(waiting.reads).toBeGreaterThan(0);
    leaving.abort(new ModelwireError("gone", Code.Canceled));
    await expect(aborted).rejects.toMatchObject({ code: Code.Canceled });
    expect(admission.stats().queued).toBe(1);
    await holder.return?.();
    expect(await queued).toHaveLength(3);
    expect(admission.stats()).toMatchObject({ inFlight: 0, queued: 0 });
  });

  it("frees the slot when the engine's stream fails midway, and the error reaches the consumer", async () => {
    const admission = createAdmission({ maxInFlight: 1 });
    const { engine, state } = scripted([chunk("a"), new ModelwireError("boom", Code.Internal), final()]);
    const guarded = guardEngine(engine, admission);
    await expect(drain(guarded.generate(REQ, counting()))).rejects.toMatchObject({ code: Code.Internal });
    expect(state).toEqual({ opened: 1, closed: 1 });
    expect(admission.stats().inFlight).toBe(0);
  });

  it("frees the slot when the engine throws before its stream exists", async () => {
    const admission = createAdmission({ maxInFlight: 1 });
    const engine: Engine = {
      ...createSyntheticEngine(),
      generate: () => {
        throw new ModelwireError("no such model", Code.NotFound);
      },
    };
    const it = guardEngine(engine, admission).generate(REQ, counting())[Symbol.asyncIterator]();
    await expect(it.next()).rejects.toMatchObject({ code: Code.NotFound });
    expect(await it.next()).toEqual({ done: true, value: undefined });
    expect(admission.stats().inFlight).toBe(0);
  });

  it("frees the slot when the consumer stops early, after the engine's stream unwound", async () => {
    const admission = createAdmission({ maxInFlight: 1 });
    const { engine, state } = scripted([chunk("a"), chunk("b"), chunk("c"), final()]);
    const guarded = guardEngine(engine, admission);
    for await (const c of guarded.generate(REQ, counting())) {
      expect(c.response).toBe("a");
      expect(admission.stats().inFlight).toBe(1);
      break;
    }
    expect(state).toEqual({ opened: 1, closed: 1 });
    expect(admission.stats().inFlight).toBe(0);
  });

  it("frees the slot when the call is aborted while streaming (the engine stops with the reason)", async () => {
    const admission = createAdmission({ maxInFlight: 1 });
    const guarded = guardEngine(createSyntheticEngine({ tokens: 50, interTokenMs: 5 }), admission);
    const ctx = counting();
    const it = guarded.generate(REQ, ctx)[Symbol.asyncIterator]();
    await it.next();
    ctx.abort(new ModelwireError("cancelled by the client", Code.Canceled));
    await expect(drain({ [Symbol.asyncIterator]: () => it })).rejects.toMatchObject({ code: Code.Canceled });
    expect(admission.stats().inFlight).toBe(0);
  });

  it("a call already aborted is refused with its reason and takes no slot", async () => {
    const admission = createAdmission({ maxInFlight: 1 });
    const guarded = guardEngine(createSyntheticEngine(), admission);
    const ctx = counting();
    ctx.abort(new ModelwireError("deadline exceeded", Code.DeadlineExceeded));
    await expect(drain(guarded.generate(REQ, ctx))).rejects.toMatchObject({ code: Code.DeadlineExceeded });
    await expect(guarded.embed(EMBED, ctx)).rejects.toMatchObject({ code: Code.DeadlineExceeded });
    expect(admission.stats()).toMatchObject({ inFlight: 0, admitted: 0 });
  });

  it("refuses beyond the queue before calling the engine", async () => {
    const admission = createAdmission({ maxInFlight: 1 });
    const { engine, state } = scripted([final()]);
    const guarded = guardEngine(engine, admission);
    const holder = guarded.generate(REQ, counting())[Symbol.asyncIterator]();
    await holder.next();
    await expect(drain(guarded.generate(REQ, counting()))).rejects.toMatchObject({ code: Code.ResourceExhausted });
    await expect(guarded.embed(EMBED, counting())).rejects.toMatchObject({ code: Code.ResourceExhausted });
    expect(state.opened).toBe(1);
    await holder.next();
    expect(admission.stats()).toMatchObject({ inFlight: 0, rejected: 2 });
  });

  it("a stream given up while it waits for a slot hands the slot back without calling the engine", async () => {
    const admission = createAdmission({ maxInFlight: 1, maxQueue: 1 });
    const { engine, state } = scripted([chunk("a"), final()]);
    const guarded = guardEngine(engine, admission);
    const holder = guarded.generate(REQ, counting())[Symbol.asyncIterator]();
    await holder.next();
    const waiter = guarded.generate(REQ, counting())[Symbol.asyncIterator]();
    const first = waiter.next();
    expect(await waiter.return?.()).toEqual({ done: true, value: undefined });
    await holder.return?.();
    expect(await first).toEqual({ done: true, value: undefined });
    expect(state.opened).toBe(1);
    expect(admission.stats()).toMatchObject({ inFlight: 0, queued: 0 });
  });

  it("hands a hooked stream's own results through (no then per chunk) and frees the slot from its end hook", async () => {
    const admission = createAdmission({ maxInFlight: 1 });
    const engine = createSyntheticEngine({ tokens: 4 });
    const promises: Promise<IteratorResult<GenerateResponse>>[] = [];
    const spying: Engine = {
      ...engine,
      generate(req, ctx) {
        const inner = engine.generate(req, ctx)[Symbol.asyncIterator]() as AsyncIterator<GenerateResponse> &
          StreamEndHook;
        const next = inner.next.bind(inner);
        inner.next = () => {
          const p = next();
          promises.push(p);
          return p;
        };
        return { [Symbol.asyncIterator]: () => inner };
      },
    };
    const it = guardEngine(spying, admission).generate(REQ, counting())[Symbol.asyncIterator]();
    const got: Promise<IteratorResult<GenerateResponse>>[] = [];
    for (;;) {
      const p = it.next();
      got.push(p);
      if ((await p).done) break;
      expect(admission.stats().inFlight).toBe(1);
    }
    expect(got).toHaveLength(6); // 4 chunks, the final chunk, done
    expect(got).toEqual(promises);
    for (let i = 0; i < got.length; i++) expect(got[i]).toBe(promises[i]);
    expect(admission.stats().inFlight).toBe(0);
  });

  it("frees a hooked stream's slot on return() midway and on its failure", async () => {
    const admission = createAdmission({ maxInFlight: 1 });
    const guarded = guardEngine(createSyntheticEngine({ tokens: 20, interTokenMs: 1 }), admission);
    const early = guarded.generate(REQ, counting())[Symbol.asyncIterator]();
    await early.next();
    expect(admission.stats().inFlight).toBe(1);
    await early.return?.();
    expect(admission.stats().inFlight).toBe(0);
    const ctx = counting();
    const failing = guarded.generate(REQ, ctx)[Symbol.asyncIterator]();
    await failing.next();
    ctx.abort(new ModelwireError("gone", Code.Canceled));
    await expect(failing.next()).rejects.toMatchObject({ code: Code.Canceled });
    expect(admission.stats().inFlight).toBe(0);
    expect(await failing.next()).toEqual({ done: true, value: undefined });
  });

  it("wraps a stream without an end hook: its results pass through a then, the slot is freed on done", async () => {
    const admission = createAdmission({ maxInFlight: 1 });
    const { engine } = scripted([chunk("a"), final()]);
    const inner = engine.generate(REQ, counting())[Symbol.asyncIterator]() as Partial<StreamEndHook>;
    expect(inner[ON_STREAM_END]).toBeUndefined();
    const it = guardEngine(engine, admission).generate(REQ, counting())[Symbol.asyncIterator]();
    expect((await it.next()).value?.response).toBe("a");
    expect((await it.next()).value?.done).toBe(true);
    expect(admission.stats().inFlight).toBe(1);
    expect(await it.next()).toEqual({ done: true, value: undefined });
    expect(admission.stats().inFlight).toBe(0);
  });

  it("frees an embed's slot on success and on failure", async () => {
    const admission = createAdmission({ maxInFlight: 1 });
    const failing: Engine = {
      ...createSyntheticEngine(),
      embed: () => Promise.reject(new ModelwireError("bad input", Code.InvalidArgument)),
    };
    await guardEngine(createSyntheticEngine(), admission).embed(EMBED, counting());
    await expect(guardEngine(failing, admission).embed(EMBED, counting())).rejects.toMatchObject({
      code: Code.InvalidArgument,
    });
    expect(admission.stats()).toMatchObject({ inFlight: 0, admitted: 2 });
  });
});
