/**
 * A stream that stalls on an upstream whose checks still pass (stand-in Ollama processes from
 * `@modelwire/test-kit/ollama`, written from Ollama's docs): a started stream ends at once with a coded
 * UNAVAILABLE that says it stalled (`--upstream-stall-ms`), not at the caller's deadline; a call that got no
 * first chunk moves to another upstream (`--upstream-first-chunk-ms`); no token is sent twice.
 */

import { Code, type InferenceClient, ModelwireError } from "@modelwire/core";
import { until } from "@modelwire/test-kit";
import { chunkTokens, replyTokens, type SpawnedStandIn, spawnOllamaStandIn } from "@modelwire/test-kit/ollama";
import { afterEach, describe, expect, it } from "vitest";
import { ADDRESS_OF, CLIENT_KINDS, type ClientKind, makeClient } from "../test-support/clients.js";
import { gatewaysAfterEach } from "../test-support/gateways.js";
import type { SpawnedGateway } from "../test-support/spawn-gateway.js";

const { clients, start } = gatewaysAfterEach();
const standIns: SpawnedStandIn[] = [];
afterEach(async () => {
  await Promise.allSettled(standIns.splice(0).map((s) => s.close()));
});

/** A loaded 2-core machine stretches these runs of several processes well past the 20 s default. */
const SLOW = 90_000;
const SEED = 11;
const MODEL = "standin:latest";
const TOKENS = 8;
const QUICK = ["--upstream-probe-ms", "1000", "--upstream-backoff-ms", "200", "--upstream-tags-ms", "500", "--quiet"];

async function standIn(options: Parameters<typeof spawnOllamaStandIn>[0] = {}): Promise<SpawnedStandIn> {
  const s = await spawnOllamaStandIn({ defaultTokens: TOKENS, interTokenMs: 5, ...options });
  standIns.push(s);
  return s;
}

async function stats(gw: SpawnedGateway): Promise<Record<string, any>> {
  return (await (await fetch(`${gw.url("admin")}/control/stats`)).json()) as Record<string, any>;
}

async function fleetReady(gw: SpawnedGateway, n: number): Promise<void> {
  await until(async () => {
    const ups = ((await stats(gw)).fleet?.upstreams ?? []) as Array<{ state: string; models: string[] | null }>;
    return ups.length === n && ups.every((u) => u.state === "up" && u.models !== null);
  });
}

function client(kind: ClientKind, gw: SpawnedGateway): InferenceClient {
  const c = makeClient(kind, gw.url(ADDRESS_OF[kind]));
  clients.push(c);
  return c;
}

const expectedText = (prompt: string) =>
  chunkTokens(replyTokens({ model: MODEL, prompt, seed: SEED }, TOKENS, 0), 1).join("");

interface Outcome {
  kind: ClientKind;
  prompt: string;
  text: string;
  done: boolean;
  ms: number;
  error?: ModelwireError;
}

async function generate(kind: ClientKind, c: InferenceClient, prompt: string): Promise<Outcome> {
  const out: Outcome = { kind, prompt, text: "", done: false, ms: 0 };
  const t0 = performance.now();
  try {
    // A long deadline: the stall must end the call long before it.
    for await (const chunk of c.generate(
      { model: MODEL, prompt, options: { seed: BigInt(SEED) } },
      { timeoutMs: 120_000 },
    )) {
      out.text += chunk.response;
      if (chunk.done) out.done = true;
    }
  } catch (e) {
    out.error = ModelwireError.from(e);
  }
  out.ms = performance.now() - t0;
  return out;
}

/** Two calls per wire, one after the other on each; returns every outcome. */
async function callEveryWire(gw: SpawnedGateway, tag: string): Promise<Outcome[]> {
  const out: Outcome[] = [];
  await Promise.all(
    CLIENT_KINDS.map(async (kind) => {
      const c = client(kind, gw);
      for (let i = 0; i < 4; i++) out.push(await generate(kind, c, `${tag} ${kind} ${i}`));
    }),
  );
  return out;
}

describe("a stalled stream on an upstream whose checks pass", () => {
  it(
    "ends a started stream with UNAVAILABLE upstream_stalled after --upstream-stall-ms, never at the deadline",
    async () => {
      const ups = [await standIn({ stallAfter: 3 }), await standIn()];
      const gw = await start([
        ...ups.flatMap((s) => ["--upstream", s.url]),
        ...QUICK,
        "--upstream-stall-ms",
        "800",
        // The stalled upstream keeps failing calls; keep it in the fleet so every wire meets it.
        "--upstream-failures",
        "1000",
      ]);
      await fleetReady(gw, 2);
      const outcomes = await callEveryWire(gw, "stall");
      const failed = outcomes.filter((o) => o.error);
      const why = JSON.stringify(outcomes.map((o) => [o.prompt, o.text.length, o.error?.message]));
      // Least outstanding sends about half the calls to the stalled upstream.
      expect(failed.length, why).toBeGreaterThan(0);
      for (const o of outcomes) expect(expectedText(o.prompt).startsWith(o.text), o.prompt).toBe(true);
      for (const o of outcomes.filter((x) => !x.error)) expect(o.done && o.text === expectedText(o.prompt)).toBe(true);
      for (const o of failed) {
        expect(o.error?.code, why).toBe(Code.Unavailable);
        expect(o.error?.message, why).toMatch(/stalled: no chunk for \d+ ms \(--upstream-stall-ms 800\)/);
        // It began (three chunks), and it ended well before its 120 s deadline.
        expect(o.text.length).toBeGreaterThan(0);
        expect(o.ms).toBeLessThan(60_000);
      }
      // Connect and MCP carry the reason as metadata too.
      for (const o of failed.filter((x) => x.kind !== "http"))
        expect(o.error?.metadata.reason).toBe("upstream_stalled");
      const s = await stats(gw);
      expect(s.fleet.upstreams[0].failedMidStream).toBe(failed.length);
      expect(s.fleet.upstreams[1].failedMidStream).toBe(0);
      // The stalled upstream's checks still pass: it is not taken out for them.
      expect(s.fleet.upstreams[0].state).toBe("up");
      // And it is not left holding the streams it stalled.
      await until(async () => (await stats(gw)).fleet.upstreams[0].inFlight === 0);
    },
    SLOW,
  );

  it(
    "moves a call whose upstream sends no first chunk within --upstream-first-chunk-ms, so every call completes",
    async () => {
      const ups = [await standIn({ stallAfter: 0 }), await standIn()];
      const gw = await start([
        ...ups.flatMap((s) => ["--upstream", s.url]),
        ...QUICK,
        "--upstream-first-chunk-ms",
        "800",
        "--upstream-failures",
        "1000",
      ]);
      await fleetReady(gw, 2);
      const outcomes = await callEveryWire(gw, "first");
      const why = JSON.stringify(outcomes.map((o) => [o.prompt, o.text.length, o.error?.message]));
      expect(
        outcomes.filter((o) => o.error || !o.done || o.text !== expectedText(o.prompt)),
        why,
      ).toEqual([]);
      const s = await stats(gw);
      expect(s.fleet.retries).toBeGreaterThan(0);
      expect(s.fleet.upstreams[0].retriedAway).toBe(s.fleet.retries);
      expect(s.fleet.upstreams[0].started).toBe(0);
      expect(s.fleet.upstreams[0].lastError).toMatch(/no first chunk within \d+ ms \(--upstream-first-chunk-ms 800\)/);
    },
    SLOW,
  );
});
