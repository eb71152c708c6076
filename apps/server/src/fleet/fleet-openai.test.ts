/**
 * The OpenAI API through a fleet, driven with the official `openai` npm client against stand-ins written from
 * Ollama's and OpenAI's API docs (`@modelwire/test-kit/standin`, never this server): `/v1` goes to the routed
 * upstream's own `/v1` unchanged, model-aware and spread by load; a failure before the first byte moves the call;
 * a stall after it ends the stream with an error event that says why; `/v1/models` merges the fleet.
 */

import { until } from "@modelwire/test-kit";
import { STANDIN_TOKENS, type StandIn } from "@modelwire/test-kit/standin";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { gatewaysAfterEach } from "../test-support/gateways.js";
import { HI, openaiClient, standInsAfterEach, streamChat } from "../test-support/openai-stand-ins.js";
import type { SpawnedGateway } from "../test-support/spawn-gateway.js";

const { start } = gatewaysAfterEach();
const standIn = standInsAfterEach();
const SLOW = 90_000;
const QUICK = ["--upstream-probe-ms", "1000", "--upstream-tags-ms", "500", "--no-connect", "--no-mcp", "--quiet"];
const messages = HI;

async function stats(gw: SpawnedGateway): Promise<Record<string, any>> {
  return (await (await fetch(`${gw.url("admin")}/control/stats`)).json()) as Record<string, any>;
}

/** A gateway in front of `ups` (`suffix` after each URL, e.g. `,max-streams=8`), once each answered. */
async function fleet(ups: readonly StandIn[], extra: string[] = [], suffix = "") {
  const gw = await start([...ups.flatMap((s) => ["--upstream", `${s.url}${suffix}`]), ...QUICK, ...extra]);
  await until(async () => {
    const u = ((await stats(gw)).fleet?.upstreams ?? []) as Array<{ state: string; models: string[] | null }>;
    return u.length === ups.length && u.every((x) => x.state === "up" && x.models !== null);
  });
  return { gw, client: openaiClient(gw) };
}

const v1Calls = (s: StandIn, path = "/v1/chat/completions") => s.requests.filter((r) => r.path === path).length;

describe("the OpenAI API through a fleet (official openai client)", () => {
  it(
    "goes to each routed upstream's own /v1 unchanged, spread over the fleet, and merges /v1/models",
    async () => {
      const ups = [
        await standIn({
          models: ["standin:latest", "only-a:latest"],
          script: () => ({ tokens: STANDIN_TOKENS, delayMs: 20 }),
        }),
        await standIn({ script: () => ({ tokens: STANDIN_TOKENS, delayMs: 20 }) }),
      ];
      const { gw, client } = await fleet(ups);
      // Four at a time: least outstanding keeps both upstreams busy.
      const replies = await Promise.all(
        Array.from({ length: 8 }, () => streamChat(client, "standin", { tool_choice: "none" })),
      );
      for (const r of replies) expect(r).toEqual({ parts: [...STANDIN_TOKENS], finish: "stop" });
      expect(v1Calls(ups[0]) + v1Calls(ups[1])).toBe(8);
      expect(v1Calls(ups[0])).toBeGreaterThan(0);
      expect(v1Calls(ups[1])).toBeGreaterThan(0);
      // Forwarded as sent (the translation would drop tool_choice), never translated onto /api/chat.
      const sent = [...ups[0].requests, ...ups[1].requests].find((r) => r.path === "/v1/chat/completions");
      expect(sent?.body).toMatchObject({ model: "standin", stream: true, tool_choice: "none" });
      expect(ups.some((s) => s.requests.some((r) => r.path === "/api/chat"))).toBe(false);
      // The fleet counts them per upstream like any call.
      const s = await stats(gw);
      expect(s.fleet.upstreams.reduce((n: number, u: { started: number }) => n + u.started, 0)).toBe(8);
      // A model only one upstream lists goes there, completions and /v1/models/:id alike.
      for (let i = 0; i < 4; i++) {
        const c = await client.completions.create({ model: "only-a", prompt: "p" });
        expect(c.choices[0].text).toBe(STANDIN_TOKENS.join(""));
      }
      expect(v1Calls(ups[0], "/v1/completions")).toBe(4);
      expect(v1Calls(ups[1], "/v1/completions")).toBe(0);
      expect((await client.models.retrieve("only-a:latest")).id).toBe("only-a:latest");
      expect((await client.models.list()).data.map((m) => m.id).sort()).toEqual(["only-a:latest", "standin:latest"]);
      const missing = await client.chat.completions.create({ model: "nope", messages }).catch((e) => e);
      expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
      // The gateway's metrics count the forwarded calls under protocol="openai".
      const metrics = await (await fetch(`${gw.url("admin")}/metrics`)).text();
      expect(metrics).toMatch(/modelwire_tokens_total\{protocol="openai",method="chat"\} 32/);
    },
    SLOW,
  );

  it(
    "moves a call off an upstream that answers 503 before anything was sent, so every call completes",
    async () => {
      const ups = [await standIn({ failStatus: 503 }), await standIn()];
      const { gw, client } = await fleet(ups, ["--upstream-failures", "1000"]);
      const replies = await Promise.all(Array.from({ length: 6 }, () => streamChat(client)));
      for (const r of replies) expect(r).toEqual({ parts: [...STANDIN_TOKENS], finish: "stop" });
      const s = await stats(gw);
      expect(v1Calls(ups[0])).toBeGreaterThan(0);
      expect(s.fleet.retries).toBe(v1Calls(ups[0]));
      expect(s.fleet.upstreams[0].started).toBe(0);
      expect(s.fleet.upstreams[0].lastError).toMatch(/answered 503/);
      // The same figures per upstream in Prometheus' text format, labelled with the upstream's URL.
      const metrics = await (await fetch(`${gw.url("admin")}/metrics`)).text();
      const series = (name: string, i: number, extra = "") =>
        Number(new RegExp(`^${name}\\{upstream="${ups[i].url}"${extra}\\} (\\d+)`, "m").exec(metrics)?.[1] ?? NaN);
      expect(series("modelwire_upstream_requests_total", 0)).toBe(v1Calls(ups[0]));
      expect(series("modelwire_upstream_retried_away_total", 0)).toBe(v1Calls(ups[0]));
      expect(series("modelwire_upstream_started_total", 0)).toBe(0);
      expect(series("modelwire_upstream_started_total", 1)).toBe(6);
      expect(series("modelwire_upstream_errors_total", 0, ',code="unavailable"')).toBe(v1Calls(ups[0]));
      expect(series("modelwire_upstream_state", 1, ',state="up"')).toBe(1);
      expect(metrics).toMatch(new RegExp(`^modelwire_fleet_retries_total ${v1Calls(ups[0])}$`, "m"));
    },
    SLOW,
  );

  it(
    "keeps an x-modelwire-session on the upstream of its previous turn over /v1 too",
    async () => {
      const ups = [await standIn(), await standIn()];
      const { gw } = await fleet(ups);
      const turns = async (session: string) => {
        const c = new OpenAI({
          baseURL: `${gw.url("http")}/v1`,
          apiKey: "x",
          maxRetries: 0,
          defaultHeaders: { "x-modelwire-session": session },
        });
        const before = ups.map((u) => v1Calls(u));
        for (let i = 0; i < 5; i++) expect((await streamChat(c)).parts).toEqual([...STANDIN_TOKENS]);
        return ups.map((u, i) => v1Calls(u) - before[i]);
      };
      for (const session of ["s-1", "s-2", "s-3"]) expect((await turns(session)).sort()).toEqual([0, 5]);
      expect((await stats(gw)).fleet.affinityHits).toBe(12);
    },
    SLOW,
  );

  it(
    "ends a stream that stalls after it began with an OpenAI error event naming the stall, never as complete",
    async () => {
      // The role chunk comes at once, then each token a second apart: the stall limit (400 ms) cuts it.
      const ups = [await standIn({ script: () => ({ tokens: STANDIN_TOKENS, delayMs: 1000 }) })];
      // One upstream with a stream limit is a fleet too.
      const { gw, client } = await fleet(ups, ["--upstream-stall-ms", "400"], ",max-streams=8");
      const err = await streamChat(client).catch((e) => e);
      expect(err).toBeInstanceOf(OpenAI.APIError);
      expect(String(err.message)).toMatch(/stalled: no chunk for \d+ ms \(--upstream-stall-ms 400\)/);
      expect(String(err.message)).toMatch(/failed after the stream began/);
      const s = await stats(gw);
      expect(s.fleet.upstreams[0].failedMidStream).toBe(1);
      await until(() => ups[0].open === 0);
    },
    SLOW,
  );
});
