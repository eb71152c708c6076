/**
 * The fleet engine's unit-test fixture: fake upstreams (scripted InferenceClients, the fleet's logic only — real
 * stand-in Ollama processes are used by the gateway tests) and small helpers shared by fleet-engine*.test.ts.
 */
import { create } from "@bufbuild/protobuf";
import {
  Code,
  GenerateRequestSchema,
  type GenerateResponse,
  GenerateResponseSchema,
  type InferenceClient,
  ListModelsResponseSchema,
  ModelwireError,
  ShowModelResponseSchema,
  VersionResponseSchema,
} from "@modelwire/core";
import { createEngineContext, type EngineContext } from "@modelwire/engine";
import { afterEach } from "vitest";
import { createFleetEngine, type FleetEngine } from "../fleet/fleet-engine.js";
import type { UpstreamSpec } from "../fleet/upstream-spec.js";

/** How a fake upstream answers a generate call. */
export interface Script {
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
export function fakeFleet(specs: Array<Partial<UpstreamSpec> & { script?: Partial<Script> }>, extra = {}) {
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

export const req = (model = "m") => create(GenerateRequestSchema, { model, prompt: "p" });
export const ctxWith = (metadata?: Record<string, string>): EngineContext => {
  const c = createEngineContext();
  c.metadata = metadata;
  return c;
};

export async function collect(fleet: FleetEngine, model = "m", ctx = ctxWith()) {
  const out: string[] = [];
  for await (const c of fleet.generate(req(model), ctx)) if (c.response) out.push(c.response);
  return out;
}

export async function errorOf(p: Promise<unknown>): Promise<ModelwireError> {
  try {
    await p;
  } catch (e) {
    return ModelwireError.from(e);
  }
  throw new Error("did not fail");
}

/** Every upstream answers its first check and lists its models. */
export async function allAnswer(fleet: FleetEngine) {
  for (const m of fleet.members) fleet.probed(m.index, true);
  await fleet.refreshTags();
}

/** Registers an afterEach that closes every fleet handed to the returned `track` during the test. */
export function fleetTracker(): <T extends { fleet: FleetEngine }>(x: T) => T {
  let open: FleetEngine[] = [];
  afterEach(async () => {
    await Promise.all(open.map((f) => f.close()));
    open = [];
  });
  return (x) => {
    open.push(x.fleet);
    return x;
  };
}
