import { createPrng } from "@modelwire/engine";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ALL_FULL,
  type Availability,
  canonicalModel,
  chooseUpstream,
  NO_CANDIDATE,
  NONE_UP,
  type RouteAsk,
  type UpstreamView,
} from "./route.js";

const M = "llama3:latest";
const view = (o: Partial<UpstreamView> = {}): UpstreamView => ({
  availability: "up",
  inFlight: 0,
  maxStreams: Number.POSITIVE_INFINITY,
  weight: 1,
  models: new Set([M]),
  ...o,
});
const ask = (o: Partial<RouteAsk> = {}): RouteAsk => ({ model: M, preferred: -1, tried: 0, listedOnly: false, ...o });
const never = () => {
  throw new Error("no tie expected");
};

describe("chooseUpstream", () => {
  it("takes the upstream with the fewest streams in flight", () => {
    const views = [view({ inFlight: 3 }), view({ inFlight: 1 }), view({ inFlight: 2 })];
    expect(chooseUpstream(views, ask(), never)).toBe(1);
  });

  it("skips upstreams that are down, full, or already tried by this call", () => {
    const views = [
      view({ availability: "down" }),
      view({ inFlight: 2, maxStreams: 2 }),
      view({ inFlight: 5 }),
      view({ inFlight: 0 }),
    ];
    expect(chooseUpstream(views, ask(), never)).toBe(3);
    expect(chooseUpstream(views, ask({ tried: 1 << 3 }), never)).toBe(2);
  });

  it("lets one trial call through to a half-open upstream (it counts as available)", () => {
    const views = [view({ inFlight: 1 }), view({ availability: "trial" })];
    expect(chooseUpstream(views, ask(), never)).toBe(1);
  });

  it("prefers the session's upstream while it is up and below its limit, else falls back to least outstanding", () => {
    const views = [view({ inFlight: 0 }), view({ inFlight: 4, maxStreams: 5 })];
    expect(chooseUpstream(views, ask({ preferred: 1 }), never)).toBe(1);
    views[1].inFlight = 5;
    expect(chooseUpstream(views, ask({ preferred: 1 }), never)).toBe(0);
    views[1] = view({ availability: "down" });
    expect(chooseUpstream(views, ask({ preferred: 1 }), never)).toBe(0);
    // A preferred upstream without the model is not taken.
    views[1] = view({ models: new Set(["other:latest"]) });
    views[0].inFlight = 9;
    expect(chooseUpstream(views, ask({ preferred: 1 }), never)).toBe(0);
  });

  it("sends a model only to the upstreams that list it (or whose list is not known yet)", () => {
    const views = [
      view({ models: new Set(["a:latest"]) }),
      view({ inFlight: 7 }),
      view({ models: undefined, inFlight: 8 }),
    ];
    expect(chooseUpstream(views, ask(), never)).toBe(1);
    expect(chooseUpstream(views, ask({ tried: 2 }), never)).toBe(2);
    expect(chooseUpstream(views, ask({ tried: 2 | 4 }), never)).toBe(NO_CANDIDATE);
  });

  it("when no list names the model, tries any upstream (its answer decides) unless listedOnly", () => {
    const views = [view({ models: new Set(["a:latest"]), inFlight: 1 }), view({ models: new Set(["b:latest"]) })];
    expect(chooseUpstream(views, ask(), never)).toBe(1);
    expect(chooseUpstream(views, ask({ listedOnly: true }), never)).toBe(NO_CANDIDATE);
  });

  it("says why there is no upstream: all full, none up, none may have the model", () => {
    expect(chooseUpstream([view({ inFlight: 1, maxStreams: 1 }), view({ availability: "down" })], ask(), never)).toBe(
      ALL_FULL,
    );
    expect(chooseUpstream([view({ availability: "down" }), view({ availability: "down" })], ask(), never)).toBe(
      NONE_UP,
    );
    expect(chooseUpstream([], ask(), never)).toBe(NO_CANDIDATE);
  });

  it("breaks ties at random in proportion to the weights", () => {
    const prng = createPrng(7);
    const views = [view({ weight: 1 }), view({ weight: 2 }), view({ weight: 5 }), view({ weight: 1, inFlight: 1 })];
    const counts = [0, 0, 0, 0];
    const n = 40_000;
    for (let i = 0; i < n; i++) counts[chooseUpstream(views, ask(), prng.next)]++;
    expect(counts[3]).toBe(0);
    // Expected shares 1/8, 2/8, 5/8; 40,000 draws put each within ±0.01 (over 6 standard deviations).
    expect(Math.abs(counts[0] / n - 1 / 8)).toBeLessThan(0.01);
    expect(Math.abs(counts[1] / n - 2 / 8)).toBeLessThan(0.01);
    expect(Math.abs(counts[2] / n - 5 / 8)).toBeLessThan(0.01);
  });

  const availability = fc.constantFrom<Availability>("up", "up", "trial", "down");
  const arbView = fc.record({
    availability,
    inFlight: fc.integer({ min: 0, max: 6 }),
    maxStreams: fc.oneof(fc.constant(Number.POSITIVE_INFINITY), fc.integer({ min: 1, max: 6 })),
    weight: fc.double({ min: 0.01, max: 100, noNaN: true }),
    models: fc.option(
      fc.subarray(["a:latest", "b:latest", M]).map((l) => new Set(l)),
      { nil: undefined },
    ),
  });
  const arbAsk = fc.record({
    model: fc.constantFrom("a:latest", M, "z:latest"),
    preferred: fc.integer({ min: -1, max: 7 }),
    tried: fc.integer({ min: 0, max: 255 }),
    listedOnly: fc.boolean(),
  });

  it("property: a choice is a candidate that is available and below its limit, least loaded unless preferred", () => {
    fc.assert(
      fc.property(fc.array(arbView, { maxLength: 8 }), arbAsk, fc.integer(), (views, a, seed) => {
        const i = chooseUpstream(views, a, createPrng(seed).next);
        const listed = views.some((v) => v.models?.has(a.model));
        const candidate = (j: number) =>
          j >= 0 &&
          j < views.length &&
          !((a.tried >>> j) & 1) &&
          (views[j].models === undefined ? !a.listedOnly : views[j].models?.has(a.model) || (!listed && !a.listedOnly));
        const usable = (j: number) =>
          candidate(j) && views[j].availability !== "down" && views[j].inFlight < views[j].maxStreams;
        const all = views.map((_, j) => j);
        if (i >= 0) {
          expect(usable(i)).toBe(true);
          if (i !== a.preferred) {
            expect(usable(a.preferred)).toBe(false);
            const least = Math.min(...all.filter(usable).map((j) => views[j].inFlight));
            expect(views[i].inFlight).toBe(least);
          }
        } else {
          expect(all.some(usable)).toBe(false);
          const cands = all.filter(candidate);
          if (i === NO_CANDIDATE) expect(cands).toEqual([]);
          if (i === ALL_FULL) expect(cands.some((j) => views[j].availability !== "down")).toBe(true);
          if (i === NONE_UP) expect(cands.every((j) => views[j].availability === "down")).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe("canonicalModel", () => {
  it("adds :latest and lower-cases, and keeps a registry port apart from the tag", () => {
    expect(canonicalModel("Llama3")).toBe("llama3:latest");
    expect(canonicalModel("llama3:8b")).toBe("llama3:8b");
    expect(canonicalModel("registry.local:5000/team/llama3")).toBe("registry.local:5000/team/llama3:latest");
  });
});
