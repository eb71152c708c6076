import { Code, ModelwireError } from "@modelwire/core";
import { createEngineContext } from "@modelwire/engine";
import { until } from "@modelwire/test-kit";
import { describe, expect, it } from "vitest";
import { allAnswer, collect, ctxWith, errorOf, fakeFleet, fleetTracker, req } from "../test-support/fake-fleet.js";

const track = fleetTracker();

describe("the fleet engine: cancels, health checks and stalls", () => {
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
