import { create } from "@bufbuild/protobuf";
import {
  Code,
  GenerateRequestSchema,
  type GenerateResponse,
  GenerateResponseSchema,
  type InferenceClient,
  ListModelsResponseSchema,
  ModelwireError,
  ShowModelRequestSchema,
  ShowModelResponseSchema,
  VersionResponseSchema,
} from "@modelwire/core";
import { createEngineContext, type EngineContext } from "@modelwire/engine";
import { until } from "@modelwire/test-kit";
import { afterEach, describe, expect, it } from "vitest";
import { createFleetEngine, type FleetEngine, SESSION_KEY } from "./fleet-engine.js";
import type { UpstreamSpec } from "./upstream-spec.js";

/** How a fake upstream answers a generate call. */
interface Script {
  models: string[];
  /** Fails before the first chunk with this error. */
  before?: ModelwireError;
  /** Fails after this many content chunks. */
  afterChunks?: number;
  /** Holds each stream open until released. */
  hold?: boolean;
  /** Sends nothing at all, until the request is aborted (a stopped process). */
  silent?: boolean;
  /** Sends this many chunks, then nothing until aborted (a stalled stream while the checks still pass). */
  stallAfter?: number;
  calls: number;
  open: number;
}

/** A fake InferenceClient per upstream, scripted by the test (the fleet's logic only; real Ollamas elsewhere). */
function fakeFleet(specs: Array<Partial<UpstreamSpec> & { script?: Partial<Script> }>, extra = {}) {
  const scripts = new Map<string, Script>();
  const gates: Array<() => void> = [];
  const clients: Record<string, InferenceClient> = {};
  const upstreams = specs.map((s, i) => {
    const url = `http://u${i}:1`;
    scripts.set(url, { models: ["m:latest"], calls: 0, open: 0, ...s.script });
    return { url, weight: s.weight ?? 1, maxStreams: s.maxStreams };
  });
  const make = (url: string): InferenceClient => {
    const sc = scripts.get(url) as Script;
    const chunk = (response: string, done = false) =>
      create(GenerateResponseSchema, { model: "m", response, done, doneReason: done ? "stop" : "" });
    async function* generate(_r: unknown, o?: { signal?: AbortSignal }): AsyncGenerator<GenerateResponse> {
      sc.calls++;
      sc.open++;
      try {
        await Promise.resolve();
        if (sc.before) throw sc.before;
        const silence = () =>
          new Promise<never>((_, reject) => {
            if (o?.signal?.aborted) return reject(o.signal.reason);
            o?.signal?.addEventListener("abort", () => reject(o.signal?.reason), { once: true });
          });
        if (sc.silent) await silence();
        for (let k = 0; k < 3; k++) {
          if (sc.afterChunks === k) throw new ModelwireError("socket hang up", Code.Unavailable);
          yield chunk(`${url}#${k} `);
          if (sc.silent || sc.stallAfter === k + 1) await silence();
          if (sc.hold && k === 0) {
            await new Promise<void>((resolve, reject) => {
              if (o?.signal?.aborted) return reject(o.signal.reason);
              gates.push(resolve);
              o?.signal?.addEventListener("abort", () => reject(o.signal?.reason), { once: true });
            });
          }
        }
        yield chunk("", true);
      } finally {
        sc.open--;
      }
    }
    return {
      transport: "fake",
      generate,
      chat: () => {
        throw new Error("unused");
      },
      embed: () => Promise.reject(new Error("unused")),
      list: async () => create(ListModelsResponseSchema, { models: sc.models.map((name) => ({ name, model: name })) }),
      running: () => Promise.reject(new Error("unused")),
      show: async () => {
        sc.calls++;
        if (sc.before) throw sc.before;
        return create(ShowModelResponseSchema, { template: url });
      },
      version: async () => create(VersionResponseSchema, { version: url }),
      stats: () => ({ transport: "fake", open: 0, active: 0, idle: 0, queued: 0 }),
      close: async () => {},
    } as unknown as InferenceClient;
  };
  const fleet = createFleetEngine({
    upstreams,
    createClient: (spec) => {
      clients[spec.url] = make(spec.url);
      return clients[spec.url];
    },
    backoffMs: 50,
    ...extra,
  });
  const script = (i: number) => scripts.get(upstreams[i].url) as Script;
  return {
    fleet,
    script,
    release: () => {
      for (const g of gates.splice(0)) g();
    },
    pending: () => gates.length,
    urls: upstreams.map((u) => u.url),
  };
}

const req = (model = "m") => create(GenerateRequestSchema, { model, prompt: "p" });
const ctxWith = (metadata?: Record<string, string>): EngineContext => {
  const c = createEngineContext();
  c.metadata = metadata;
  return c;
};

async function collect(fleet: FleetEngine, model = "m", ctx = ctxWith()) {
  const out: string[] = [];
  for await (const c of fleet.generate(req(model), ctx)) if (c.response) out.push(c.response);
  return out;
}

async function errorOf(p: Promise<unknown>): Promise<ModelwireError> {
  try {
    await p;
  } catch (e) {
    return ModelwireError.from(e);
  }
  throw new Error("did not fail");
}

/** Every upstream answers its first check and lists its models. */
async function allAnswer(fleet: FleetEngine) {
  for (const m of fleet.members) fleet.probed(m.index, true);
  await fleet.refreshTags();
}

let open: FleetEngine[] = [];
afterEach(async () => {
  await Promise.all(open.map((f) => f.close()));
  open = [];
});
function track<T extends { fleet: FleetEngine }>(x: T): T {
  open.push(x.fleet);
  return x;
}

describe("the fleet engine", () => {
  it("spreads streams in flight evenly (least outstanding)", async () => {
    const { fleet, release, pending } = track(
      fakeFleet([{ script: { hold: true } }, { script: { hold: true } }, { script: { hold: true } }]),
    );
    await allAnswer(fleet);
    const calls = Array.from({ length: 9 }, () => collect(fleet));
    await until(() => pending() === 9);
    expect(fleet.members.map((m) => m.inFlight)).toEqual([3, 3, 3]);
    release();
    await Promise.all(calls);
    expect(fleet.members.map((m) => m.inFlight)).toEqual([0, 0, 0]);
    expect(fleet.fleetStats().upstreams.map((u) => u.requests)).toEqual([3, 3, 3]);
  });

  it("retries a call that failed before its first chunk on another upstream, sending each token once", async () => {
    const { fleet, script, urls } = track(
      fakeFleet([{ script: { before: new ModelwireError("connect ECONNREFUSED", Code.Unavailable) } }, {}], {
        random: () => 0.999,
      }),
    );
    await allAnswer(fleet);
    const tokens = await collect(fleet);
    expect(tokens).toEqual([`${urls[1]}#0 `, `${urls[1]}#1 `, `${urls[1]}#2 `]);
    const s = fleet.fleetStats();
    expect(s.retries).toBe(1);
    expect(s.upstreams[0].errors).toEqual({ unavailable: 1 });
    expect(s.upstreams[0].retriedAway).toBe(1);
    expect(script(0).calls).toBe(1);
  });

  it("retries a unary call (show) the same way, counting one request, and fails with the last error when all fail", async () => {
    const down = new ModelwireError("connect ECONNREFUSED", Code.Unavailable);
    const { fleet, script, urls } = track(fakeFleet([{ script: { before: down } }, {}], { random: () => 0.999 }));
    await allAnswer(fleet);
    const show = create(ShowModelRequestSchema, { model: "m" });
    expect((await fleet.show(show, ctxWith())).template).toBe(urls[1]);
    expect(fleet.fleetStats()).toMatchObject({ retries: 1 });
    expect(fleet.fleetStats().upstreams.map((u) => u.retriedAway)).toEqual([1, 0]);
    expect(fleet.stats()).toMatchObject({ requests: 1, inFlight: 0, errors: 0, cancelled: 0 });
    script(1).before = down;
    expect((await errorOf(fleet.show(show, ctxWith()))).code).toBe(Code.Unavailable);
    expect(fleet.stats()).toMatchObject({ requests: 2, inFlight: 0, errors: 1 });
    expect(fleet.members.map((m) => m.inFlight)).toEqual([0, 0]);
  });

  it("never retries a stream that failed after its first chunk: the caller gets Unavailable, no token twice", async () => {
    const { fleet, script, urls } = track(
      fakeFleet([{ script: { afterChunks: 2 } }, { script: { models: ["other"] } }]),
    );
    await allAnswer(fleet);
    const got: string[] = [];
    const e = await errorOf(
      (async () => {
        for await (const c of fleet.generate(req(), ctxWith())) if (c.response) got.push(c.response);
      })(),
    );
    expect(e.code).toBe(Code.Unavailable);
    expect(e.metadata.reason).toBe("upstream_failed_mid_stream");
    expect(e.metadata.upstream).toBe(urls[0]);
    expect(got).toEqual([`${urls[0]}#0 `, `${urls[0]}#1 `]);
    expect(script(1).calls).toBe(0);
    expect(fleet.fleetStats().upstreams[0].failedMidStream).toBe(1);
    expect(fleet.stats().errors).toBe(1);
  });

  it("bounds the attempts, and takes an upstream out after N failures in a row until a check or a trial succeeds", async () => {
    const down = new ModelwireError("connect ECONNREFUSED", Code.Unavailable);
    const { fleet, script } = track(
      fakeFleet([{ script: { before: down } }, { script: { before: down } }, { script: { before: down } }], {
        attempts: 2,
        failures: 2,
      }),
    );
    await allAnswer(fleet);
    const e = await errorOf(collect(fleet));
    expect(e.code).toBe(Code.Unavailable);
    expect(script(0).calls + script(1).calls + script(2).calls).toBe(2);
    // Everyone fails: soon every breaker is open and calls fail at once, naming the states.
    for (let i = 0; i < 4; i++) await errorOf(collect(fleet));
    expect(fleet.anyUp()).toBe(false);
    const before = script(0).calls + script(1).calls + script(2).calls;
    const none = await errorOf(collect(fleet));
    expect(none.code).toBe(Code.Unavailable);
    expect(none.metadata.reason).toBe("no_upstream_up");
    expect(script(0).calls + script(1).calls + script(2).calls).toBe(before);
    // A check that answers brings one back.
    script(1).before = undefined;
    fleet.probed(1, true);
    expect(fleet.anyUp()).toBe(true);
    expect((await collect(fleet)).length).toBe(3);
  });

  it("gives a half-open upstream one trial call after the back-off and closes on its success", async () => {
    const down = new ModelwireError("connect ECONNREFUSED", Code.Unavailable);
    const { fleet, script } = track(
      fakeFleet([{ script: { before: down } }, { script: { hold: false } }], {
        failures: 1,
        random: () => 0.999,
        // Long enough that a loaded machine does not reach half-open before the state is read.
        backoffMs: 2000,
      }),
    );
    await allAnswer(fleet);
    for (let i = 0; i < 4; i++) await collect(fleet);
    expect(fleet.fleetStats().upstreams[0].state).toBe("down");
    script(0).before = undefined;
    await until(() => fleet.fleetStats().upstreams[0].state === "half-open");
    await Promise.all([collect(fleet), collect(fleet), collect(fleet)]);
    expect(fleet.fleetStats().upstreams[0].state).toBe("up");
  });

  it("sends a model that only one upstream lists to that one, every time", async () => {
    const { fleet, script } = track(
      fakeFleet([{ script: { models: ["m"] } }, { script: { models: ["only:7b", "m"] } }, {}]),
    );
    await allAnswer(fleet);
    for (let i = 0; i < 12; i++) await collect(fleet, "ONLY:7b");
    expect([script(0).calls, script(1).calls, script(2).calls]).toEqual([0, 12, 0]);
  });

  it("moves a call to an upstream that lists the model when one with a stale list says not found", async () => {
    const notFound = new ModelwireError('model "m" not found, try pulling it first', Code.NotFound, {
      httpStatus: "404",
    });
    const { fleet, script } = track(
      fakeFleet([{ script: { before: notFound } }, { script: { models: ["x"] } }, {}], { random: () => 0.999 }),
    );
    await allAnswer(fleet);
    script(0).models = [];
    expect((await collect(fleet)).length).toBe(3);
    expect(script(2).calls).toBe(1);
    expect(script(1).calls).toBe(0);
    // The stale list was read again, and a not-found answer is not a failure of the upstream.
    await until(() => fleet.fleetStats().upstreams[0].models?.length === 0);
    expect(fleet.fleetStats().upstreams[0].state).toBe("up");
  });

  it("keeps a session on the upstream of its previous turn, and falls back when that one is full", async () => {
    const { fleet, script, release, pending } = track(
      fakeFleet([{ maxStreams: 1, script: { hold: false } }, { maxStreams: 1 }, { maxStreams: 1 }]),
    );
    await allAnswer(fleet);
    const turn = () => collect(fleet, "m", ctxWith({ [SESSION_KEY]: "s-1" }));
    await turn();
    const first = [0, 1, 2].find((i) => script(i).calls === 1) as number;
    for (let i = 0; i < 8; i++) await turn();
    expect(script(first).calls).toBe(9);
    expect(fleet.fleetStats().affinityHits).toBeGreaterThanOrEqual(8);
    // Its upstream busy (at its limit of one): the next turn goes elsewhere instead of waiting.
    script(first).hold = true;
    const held = turn();
    await until(() => pending() === 1);
    const others = () => [0, 1, 2].filter((i) => i !== first).reduce((n, i) => n + script(i).calls, 0);
    expect(others()).toBe(0);
    expect((await turn()).length).toBe(3);
    expect(others()).toBe(1);
    release();
    expect((await held).length).toBe(3);
  });

  it("waits for a free stream when every upstream holds its limit, and refuses a session key that is too long", async () => {
    const { fleet, release, pending } = track(
      fakeFleet([
        { maxStreams: 1, script: { hold: true } },
        { maxStreams: 1, script: { hold: true } },
      ]),
    );
    await allAnswer(fleet);
    const calls = [collect(fleet), collect(fleet), collect(fleet)];
    await until(() => fleet.fleetStats().waited === 1 && pending() === 2);
    expect(fleet.members.map((m) => m.inFlight)).toEqual([1, 1]);
    release();
    await until(() => pending() === 1);
    release();
    expect((await Promise.all(calls)).map((t) => t.length)).toEqual([3, 3, 3]);
    const e = await errorOf(collect(fleet, "m", ctxWith({ [SESSION_KEY]: "x".repeat(257) })));
    expect(e.code).toBe(Code.InvalidArgument);
    expect(e.metadata.field).toBe(SESSION_KEY);
  });

  it("frees the upstream's slot when the consumer leaves early, and counts a cancel as no failure", async () => {
    const { fleet, pending } = track(fakeFleet([{ script: { hold: true } }], { failures: 1 }));
    await allAnswer(fleet);
    for await (const _ of fleet.generate(req(), ctxWith())) break;
    expect(fleet.members[0].inFlight).toBe(0);
    const ctx = createEngineContext();
    const p = errorOf(collect(fleet, "m", ctx));
    await until(() => pending() === 1);
    ctx.abort(new ModelwireError("client went away", Code.Canceled));
    expect((await p).code).toBe(Code.Canceled);
    // Both count as cancelled: the consumer that left after the first chunk and the call aborted while it waited.
    expect(fleet.stats()).toMatchObject({ requests: 2, inFlight: 0, cancelled: 2, errors: 0 });
    expect(fleet.fleetStats().upstreams[0].state).toBe("up");
  });

  it("counts a consumer that stops before the final chunk (return(), no next() pending) as cancelled, not after it", async () => {
    const { fleet, script } = track(fakeFleet([{}, {}]));
    await allAnswer(fleet);
    for await (const c of fleet.generate(req(), ctxWith())) if (!c.done) break;
    expect(fleet.stats()).toMatchObject({ requests: 1, inFlight: 0, cancelled: 1, errors: 0 });
    for await (const c of fleet.generate(req(), ctxWith())) if (c.done) break;
    expect(fleet.stats()).toMatchObject({ requests: 2, inFlight: 0, cancelled: 1, errors: 0 });
    expect(await collect(fleet)).toHaveLength(3);
    expect(fleet.stats()).toMatchObject({ requests: 3, inFlight: 0, cancelled: 1, errors: 0, tokens: 1 + 3 + 3 });
    // The upstream's stream was closed each time, and the early stop is no failure of the upstream.
    expect(script(0).open + script(1).open).toBe(0);
    expect(fleet.fleetStats().upstreams.map((u) => u.state)).toEqual(["up", "up"]);
  });

  it("a failed check moves the calls still waiting for a first chunk elsewhere, and cuts streams that went silent", async () => {
    let t = 0;
    // Ties go to the first upstream with this randomness.
    const { fleet, script, urls, release, pending } = track(
      fakeFleet([{}, { script: { hold: true } }], { now: () => t, stalledMs: 1000, random: () => 0.999 }),
    );
    await allAnswer(fleet);
    // A: begins on upstream 0, then it stops sending (a stopped process).
    const got: string[] = [];
    const a = errorOf(
      (async () => {
        for await (const c of fleet.generate(req(), ctxWith())) {
          if (c.response) got.push(c.response);
          script(0).silent = true;
        }
      })(),
    );
    await until(() => got.length === 1);
    // B: upstream 1 (the less loaded), held there. C: upstream 0 again (a tie), which sends it nothing.
    const b = collect(fleet);
    await until(() => pending() === 1);
    const c = collect(fleet);
    await until(() => script(0).open === 2);
    t = 500;
    fleet.probed(0, false);
    // C had no chunk: moved to upstream 1 at once. A is still within its 1000 ms.
    await until(() => pending() === 2);
    release();
    expect(await c).toEqual([`${urls[1]}#0 `, `${urls[1]}#1 `, `${urls[1]}#2 `]);
    expect((await b).length).toBe(3);
    t = 1_600;
    fleet.probed(0, false);
    const e = await a;
    expect(e.code).toBe(Code.Unavailable);
    expect(e.rawMessage).toMatch(/failed after the stream began.*sent nothing for 1600 ms/);
    expect(got).toEqual([`${urls[0]}#0 `]);
    expect(fleet.members[0].inFlight).toBe(0);
    expect(fleet.fleetStats().upstreams[0].retriedAway).toBe(1);
  });

  it("cuts a stream stalled on an upstream whose checks pass: Unavailable upstream_stalled, never retried", async () => {
    let t = 0;
    const { fleet, script, urls } = track(
      fakeFleet([{ script: { stallAfter: 1 } }, {}], { now: () => t, interChunkMs: 2000, random: () => 0.999 }),
    );
    await allAnswer(fleet);
    const got: string[] = [];
    const a = errorOf(
      (async () => {
        for await (const c of fleet.generate(req(), ctxWith())) if (c.response) got.push(c.response);
      })(),
    );
    await until(() => got.length === 1);
    t = 1999;
    fleet.probed(0, true);
    expect(fleet.cutIdle()).toBe(0);
    t = 2100;
    expect(fleet.cutIdle()).toBe(1);
    const e = await a;
    expect(e.code).toBe(Code.Unavailable);
    expect(e.metadata.reason).toBe("upstream_stalled");
    expect(e.metadata.upstream).toBe(urls[0]);
    expect(e.rawMessage).toMatch(
      /failed after the stream began.*stalled: no chunk for 2100 ms \(--upstream-stall-ms 2000\)/,
    );
    expect(got).toEqual([`${urls[0]}#0 `]);
    expect(script(1).calls).toBe(0);
    expect(fleet.fleetStats().upstreams[0].failedMidStream).toBe(1);
    expect(fleet.members[0].inFlight).toBe(0);
  });

  it("does not count a slow reader as a stall: only time spent waiting on the upstream", async () => {
    let t = 0;
    const { fleet, urls } = track(fakeFleet([{}], { now: () => t, interChunkMs: 1000 }));
    await allAnswer(fleet);
    const it = fleet.generate(req(), ctxWith())[Symbol.asyncIterator]();
    expect((await it.next()).value?.response).toBe(`${urls[0]}#0 `);
    t = 60_000;
    expect(fleet.cutIdle()).toBe(0);
    const rest: string[] = [];
    for (let r = await it.next(); !r.done; r = await it.next()) if (r.value.response) rest.push(r.value.response);
    expect(rest).toEqual([`${urls[0]}#1 `, `${urls[0]}#2 `]);
  });

  it("moves a call whose upstream sends no first chunk in time to another upstream (nothing was sent)", async () => {
    let t = 0;
    const { fleet, script, urls } = track(
      fakeFleet([{ script: { silent: true } }, {}], { now: () => t, firstChunkMs: 5000, random: () => 0.999 }),
    );
    await allAnswer(fleet);
    const c = collect(fleet);
    await until(() => script(0).open === 1);
    t = 4000;
    expect(fleet.cutIdle()).toBe(0);
    t = 5000;
    expect(fleet.cutIdle()).toBe(1);
    expect(await c).toEqual([`${urls[1]}#0 `, `${urls[1]}#1 `, `${urls[1]}#2 `]);
    const s = fleet.fleetStats();
    expect(s.retries).toBe(1);
    expect(s.upstreams[0].errors).toEqual({ unavailable: 1 });
    expect(s.upstreams[0].lastError).toMatch(/no first chunk within 5000 ms \(--upstream-first-chunk-ms 5000\)/);
    // With nowhere else to go, the caller is told why.
    const solo = track(fakeFleet([{ script: { silent: true } }], { now: () => t, firstChunkMs: 5000 }));
    await allAnswer(solo.fleet);
    const e = errorOf(collect(solo.fleet));
    await until(() => solo.script(0).open === 1);
    t += 5000;
    solo.fleet.cutIdle();
    const err = await e;
    expect(err.code).toBe(Code.Unavailable);
    expect(err.metadata.reason).toBe("upstream_stalled");
  });

  it("lists the models of every upstream that answers, once each", async () => {
    const { fleet } = track(fakeFleet([{ script: { models: ["a", "m"] } }, { script: { models: ["b", "m"] } }]));
    await allAnswer(fleet);
    const names = (await fleet.list(ctxWith())).models.map((m) => m.name).sort();
    expect(names).toEqual(["a", "b", "m"]);
  });
});
