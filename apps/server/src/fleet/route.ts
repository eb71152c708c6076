/**
 * The fleet's routing decision, pure: which upstream takes a call, from what the gateway knows of each one now
 * (its availability, the streams it holds, its limit and weight, the models its `/api/tags` listed). No I/O, no
 * clock, no state: the caller owns all three and passes randomness in, so the rule is tested on its own and its
 * cost is measured by a benchmark (`route.bench.ts`).
 *
 * @module
 */

/** Whether an upstream can take a call now, as its circuit breaker says. */
export type Availability = "up" | "trial" | "down";

/** What the router reads of one upstream. */
export interface UpstreamView {
  /** `up`: takes calls; `trial`: out, but its one trial call is free now; `down`: out. */
  availability: Availability;
  /** Streams the gateway has in flight on it now (it counts them itself: Ollama does not say). */
  inFlight: number;
  /** Its limit on streams in flight (`Infinity` when none). */
  maxStreams: number;
  /** Its share of ties (positive). */
  weight: number;
  /** The models its `/api/tags` listed, by canonical name; `undefined` while unknown (never read yet). */
  models: ReadonlySet<string> | undefined;
}

/** What a call asks of the router. */
export interface RouteAsk {
  /** The call's model, canonical (`name:tag`, lower case: see {@link canonicalModel}). */
  model: string;
  /** The upstream its session's previous call went to, or -1. */
  preferred: number;
  /** Upstreams this call already tried (bit i = upstream i), so a retry goes elsewhere. */
  tried: number;
  /**
   * Only upstreams whose list names the model (after an upstream said "not found": no blind try elsewhere).
   * Otherwise, when no upstream lists the model, every one is a candidate and the upstream's answer decides.
   */
  listedOnly: boolean;
}

/** Every candidate for the model is down (or was tried). */
export const NONE_UP = -1;
/** Some candidate is up, but every one that is up holds its limit of streams. */
export const ALL_FULL = -2;
/** No upstream may have the model (or every one that might was tried). */
export const NO_CANDIDATE = -3;

/** The most upstreams a fleet may have: `tried` is a 32-bit mask. */
export const MAX_ROUTED_UPSTREAMS = 31;

/**
 * Picks the upstream for a call; returns its index, or {@link NONE_UP}, {@link ALL_FULL} or {@link NO_CANDIDATE}.
 *
 * 1. Candidates: upstreams not yet tried by this call whose model list names the model or is still unknown; when
 *    no upstream's list names it (and `listedOnly` is off), every upstream not yet tried.
 * 2. Affinity: the preferred upstream, when it is a candidate, available and below its limit.
 * 3. Least outstanding: among available candidates below their limit, the fewest streams in flight; a tie is
 *    broken at random in proportion to the weights (one pass, weighted reservoir sampling).
 *
 * `random` returns a number in [0, 1) (`Math.random`, or a seeded generator in tests). Cost: one pass over the
 * upstreams (two when the model is listed nowhere), no allocation.
 */
export function chooseUpstream(views: readonly UpstreamView[], ask: RouteAsk, random: () => number): number {
  const n = views.length;
  const { model, tried } = ask;
  let listedSomewhere = false;
  for (let i = 0; i < n; i++) {
    if (views[i].models?.has(model)) {
      listedSomewhere = true;
      break;
    }
  }
  const listedOnly = ask.listedOnly;
  const open = !listedSomewhere && !listedOnly;

  const p = ask.preferred;
  if (p >= 0 && p < n && isCandidate(views[p], p, tried, model, open, listedOnly)) {
    const v = views[p];
    if (v.availability !== "down" && v.inFlight < v.maxStreams) return p;
  }

  let pick = NO_CANDIDATE;
  let full = false;
  let any = false;
  let best = Number.POSITIVE_INFINITY;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const v = views[i];
    if (!isCandidate(v, i, tried, model, open, listedOnly)) continue;
    any = true;
    if (v.availability === "down") continue;
    if (v.inFlight >= v.maxStreams) {
      full = true;
      continue;
    }
    if (v.inFlight < best) {
      best = v.inFlight;
      total = v.weight;
      pick = i;
    } else if (v.inFlight === best) {
      total += v.weight;
      if (random() * total < v.weight) pick = i;
    }
  }
  if (pick >= 0) return pick;
  if (!any) return NO_CANDIDATE;
  return full ? ALL_FULL : NONE_UP;
}

function isCandidate(
  v: UpstreamView,
  i: number,
  tried: number,
  model: string,
  open: boolean,
  listedOnly: boolean,
): boolean {
  if ((tried >>> i) & 1) return false;
  const m = v.models;
  if (m === undefined) return !listedOnly;
  return open || m.has(model);
}

/**
 * A model name as the router compares it: lower case, `:latest` added when it has no tag (Ollama's default tag),
 * so `Llama3`, `llama3` and `llama3:latest` are one model.
 */
export function canonicalModel(name: string): string {
  const lower = name.toLowerCase();
  const slash = lower.lastIndexOf("/");
  return lower.indexOf(":", slash + 1) >= 0 ? lower : `${lower}:latest`;
}
