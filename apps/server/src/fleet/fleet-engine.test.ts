import { create } from "@bufbuild/protobuf";
import { Code, ModelwireError, ShowModelRequestSchema } from "@modelwire/core";
import { until } from "@modelwire/test-kit";
import { describe, expect, it } from "vitest";
import { allAnswer, collect, ctxWith, errorOf, fakeFleet, fleetTracker, req } from "../test-support/fake-fleet.js";
import { SESSION_KEY } from "./fleet-engine.js";

const track = fleetTracker();

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
});
