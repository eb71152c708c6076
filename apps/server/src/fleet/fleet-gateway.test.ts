/**
 * The gateway in front of a fleet of stand-in Ollamas, each its own process (`@modelwire/test-kit/ollama`, written
 * from Ollama's docs, never from this server): spread by outstanding load, a slow upstream receives less, a killed
 * upstream loses no call that had not started streaming and rejoins, a model only one upstream has goes there,
 * affinity holds across turns on every wire, and every upstream down is UNAVAILABLE everywhere at once.
 */

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import * as grpc from "@grpc/grpc-js";
import { Code, type InferenceClient, ModelwireError } from "@modelwire/core";
import { until } from "@modelwire/test-kit";
import { chunkTokens, replyTokens, type SpawnedStandIn, spawnOllamaStandIn } from "@modelwire/test-kit/ollama";
import { service as healthService } from "grpc-health-check";
import { Ollama } from "ollama";
import { afterEach, describe, expect, it } from "vitest";
import { ADDRESS_OF, CLIENT_KINDS, type ClientKind, makeClient } from "../test-support/clients.js";
import { gatewaysAfterEach } from "../test-support/gateways.js";
import { runGateway, type SpawnedGateway } from "../test-support/spawn-gateway.js";

const { clients, start } = gatewaysAfterEach();
const standIns: SpawnedStandIn[] = [];
const closers: Array<() => void> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) c();
  await Promise.allSettled(standIns.splice(0).map((s) => s.close()));
});

/** A loaded 2-core machine stretches these runs of several processes well past the 20 s default. */
const SLOW = 90_000;
const SEED = 7;
const MODEL = "standin:latest";

async function standIn(options: Parameters<typeof spawnOllamaStandIn>[0] = {}): Promise<SpawnedStandIn> {
  const s = await spawnOllamaStandIn(options);
  standIns.push(s);
  return s;
}

/** The gateway's `/control/stats` document. */
async function stats(gw: SpawnedGateway): Promise<Record<string, any>> {
  return (await (await fetch(`${gw.url("admin")}/control/stats`)).json()) as Record<string, any>;
}

/** Completions each stand-in started (its own count, from its own stats path). */
async function completions(list: readonly SpawnedStandIn[]): Promise<number[]> {
  return Promise.all(
    list.map(
      async (s) => ((await (await fetch(`${s.url}/standin/stats`)).json()) as { completions: number }).completions,
    ),
  );
}

/** What the stand-in promises for a seeded generate call (one token per chunk): the whole text. */
function expectedText(prompt: string, tokens: number, model = MODEL): string {
  return chunkTokens(replyTokens({ model, prompt, seed: SEED }, tokens, 0), 1).join("");
}

function client(kind: ClientKind, gw: SpawnedGateway): InferenceClient {
  const c = makeClient(kind, gw.url(ADDRESS_OF[kind]));
  clients.push(c);
  return c;
}

/** One generate call's outcome: the text it got and how it ended. */
interface Outcome {
  prompt: string;
  text: string;
  done: boolean;
  error?: ModelwireError;
}

async function generate(
  c: InferenceClient,
  prompt: string,
  options: { model?: string; metadata?: Record<string, string> } = {},
): Promise<Outcome> {
  const out: Outcome = { prompt, text: "", done: false };
  try {
    for await (const chunk of c.generate(
      { model: options.model ?? MODEL, prompt, options: { seed: BigInt(SEED) } },
      { metadata: options.metadata },
    )) {
      out.text += chunk.response;
      if (chunk.done) out.done = true;
    }
  } catch (e) {
    out.error = ModelwireError.from(e);
  }
  return out;
}

const fleetFlags = (list: readonly SpawnedStandIn[]) => list.flatMap((s) => ["--upstream", s.url]);
/** Fast checks and back-offs, so a test sees the fleet react within its bounds. */
// Checks time out after the interval (at most 3 s). In npm test at load 30 (2026-12-01 17:55 UTC), 500 ms checks
// timed out on all three healthy stand-ins at once and every call failed "no upstream is up"; 1 s holds there.
const QUICK = ["--upstream-probe-ms", "1000", "--upstream-backoff-ms", "200", "--upstream-tags-ms", "500", "--quiet"];
/**
 * For a test whose subject is not the checks: one check at start and then every 5 s, each with 3 s to answer. With
 * QUICK's 1 s checks, npm test at load ~20 (2026-12-01) still timed them out on all three healthy stand-ins and
 * calls failed "no upstream is up" / "stopped answering its checks before the first chunk".
 */
const CALM = ["--upstream-probe-ms", "5000", "--upstream-backoff-ms", "200", "--upstream-tags-ms", "500", "--quiet"];

/** Waits until every upstream answered a check and its `/api/tags` was read. */
async function fleetReady(gw: SpawnedGateway, n: number): Promise<void> {
  await until(async () => {
    const s = await stats(gw);
    const ups = (s.fleet?.upstreams ?? []) as Array<{ state: string; models: string[] | null }>;
    return ups.length === n && ups.every((u) => u.state === "up" && u.models !== null);
  }, SLOW);
}

describe("modelwire serve with several --upstream (stand-in Ollama processes)", () => {
  it(
    "spreads calls by outstanding load: a slow upstream receives fewer",
    async () => {
      const fast = { ttftMs: 10, interTokenMs: 10, defaultTokens: 10 };
      const ups = [
        await standIn(fast),
        await standIn(fast),
        await standIn({ ttftMs: 600, interTokenMs: 60, defaultTokens: 10 }),
      ];
      const gw = await start([...fleetFlags(ups), ...CALM]);
      await fleetReady(gw, 3);
      const c = client("http", gw);
      let next = 0;
      const outcomes: Outcome[] = [];
      // 8 callers, 72 calls in all, each caller waiting for its previous call (closed loop).
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next < 72) outcomes.push(await generate(c, `spread ${next++}`));
        }),
      );
      expect(outcomes.filter((o) => o.error || !o.done || o.text !== expectedText(o.prompt, 10))).toEqual([]);
      // Calls each upstream served (attempts that streamed; on a loaded machine a check may time out and move a call
      // still waiting for its first token, so attempts can exceed calls).
      const per = (await stats(gw)).fleet.upstreams.map((u: { started: number }) => u.started) as number[];
      expect(per.reduce((a, b) => a + b, 0)).toBe(72);
      // Least outstanding keeps about as many streams on each; the slow one holds its own ~10x longer (less on a
      // loaded machine, where the fast ones' 10 ms timers stretch more than the slow one's).
      expect(per[2]).toBeGreaterThan(0);
      expect(per[0]).toBeGreaterThan(1.5 * per[2]);
      expect(per[1]).toBeGreaterThan(1.5 * per[2]);
    },
    SLOW,
  );

  it(
    "an upstream killed mid-run loses no call that had not started streaming, sends no token twice, and rejoins",
    async () => {
      const shape = { ttftMs: 100, interTokenMs: 15, defaultTokens: 20 };
      const ups = [await standIn(shape), await standIn(shape), await standIn(shape)];
      const gw = await start([...fleetFlags(ups), ...QUICK]);
      await fleetReady(gw, 3);
      const victim = 1;
      const port = Number(new URL(ups[victim].url).port);
      const outcomes: Outcome[] = [];
      let killedAt = -1;
      let stop = false;
      let n = 0;
      const callers = CLIENT_KINDS.flatMap((kind) => [client(kind, gw), client(kind, gw)]).map(async (c) => {
        while (!stop) outcomes.push(await generate(c, `kill ${n++}`));
      });
      // Kill it while it holds streams, some before and some after their first token.
      await until(async () => (await stats(gw)).fleet.upstreams[victim].inFlight >= 2);
      process.kill(ups[victim].pid, "SIGKILL");
      killedAt = outcomes.length;
      await until(() => outcomes.length >= killedAt + 40);
      stop = true;
      await Promise.all(callers);

      const failed = outcomes.filter((o) => o.error);
      // No token twice: every text is the promised one, or (a stream cut after it began) a prefix of it.
      for (const o of outcomes) expect(expectedText(o.prompt, 20).startsWith(o.text), o.prompt).toBe(true);
      expect(outcomes.filter((o) => !o.error && (!o.done || o.text !== expectedText(o.prompt, 20)))).toEqual([]);
      // Only streams the victim had begun fail, each with a coded UNAVAILABLE; the rest were retried elsewhere.
      for (const o of failed) expect(o.error?.code, `${o.prompt}: ${o.error?.message}`).toBe(Code.Unavailable);
      const s = await stats(gw);
      const v = s.fleet.upstreams[victim];
      const why = JSON.stringify({
        failed: failed.map((o) => [o.prompt, o.text.length, o.error?.message]),
        fleet: s.fleet,
      });
      // Each failure is one the gateway counted as cut after its first chunk (the HTTP wire carries only the message).
      for (const o of failed) expect(o.error?.message, why).toMatch(/failed after the stream began/);
      const midStream = s.fleet.upstreams.reduce(
        (n: number, u: { failedMidStream: number }) => n + u.failedMidStream,
        0,
      );
      expect(failed.length, why).toBe(midStream);
      expect(v.failedMidStream + v.retriedAway).toBeGreaterThanOrEqual(1);
      expect(v.state).not.toBe("up");
      console.log(
        `fleet kill run: ${outcomes.length} calls, ${failed.length} failed mid-stream (coded unavailable), ` +
          `${s.fleet.retries} retried on another upstream, 0 duplicated tokens (every text a prefix of the promise)`,
      );

      // It comes back on the same port: the checks see it, and it takes calls again.
      ups[victim] = await standIn({ ...shape, port });
      await until(async () => (await stats(gw)).fleet.upstreams[victim].state === "up");
      const before = (await completions([ups[victim]]))[0];
      const c = client("http", gw);
      const again = await Promise.all(Array.from({ length: 9 }, (_, i) => generate(c, `back ${i}`)));
      expect(again.filter((o) => o.error || o.text !== expectedText(o.prompt, 20))).toEqual([]);
      expect((await completions([ups[victim]]))[0]).toBeGreaterThan(before);
    },
    SLOW,
  );

  it(
    "an upstream stopped (SIGSTOP) mid-run holds no call: waiting ones move, silent streams end UNAVAILABLE, and it rejoins on SIGCONT",
    async () => {
      const shape = { ttftMs: 150, interTokenMs: 15, defaultTokens: 20 };
      const ups = [await standIn(shape), await standIn(shape), await standIn(shape)];
      const gw = await start([...fleetFlags(ups), ...QUICK]);
      await fleetReady(gw, 3);
      const victim = 2;
      const outcomes: Outcome[] = [];
      let stop = false;
      let n = 0;
      const callers = CLIENT_KINDS.flatMap((kind) => [client(kind, gw), client(kind, gw)]).map(async (c) => {
        while (!stop) outcomes.push(await generate(c, `stop ${n++}`));
      });
      await until(async () => (await stats(gw)).fleet.upstreams[victim].inFlight >= 2);
      process.kill(ups[victim].pid, "SIGSTOP");
      try {
        const at = outcomes.length;
        // Without the cut, the calls on the stopped upstream would wait for ever (the callers set no deadline).
        await until(async () => outcomes.length >= at + 30 && (await stats(gw)).fleet.upstreams[victim].inFlight === 0);
        stop = true;
        await Promise.all(callers);
      } finally {
        process.kill(ups[victim].pid, "SIGCONT");
      }
      for (const o of outcomes) expect(expectedText(o.prompt, 20).startsWith(o.text), o.prompt).toBe(true);
      expect(outcomes.filter((o) => !o.error && o.text !== expectedText(o.prompt, 20))).toEqual([]);
      const failed = outcomes.filter((o) => o.error);
      for (const o of failed) {
        expect(o.error?.code, o.error?.message).toBe(Code.Unavailable);
        expect(o.error?.message).toMatch(/failed after the stream began/);
      }
      const v = (await stats(gw)).fleet.upstreams[victim];
      expect(failed.length).toBe(v.failedMidStream);
      expect(v.failedMidStream + v.retriedAway).toBeGreaterThanOrEqual(1);
      console.log(
        `fleet SIGSTOP run: ${outcomes.length} calls, ${failed.length} cut mid-stream, ${v.retriedAway} moved before their first token`,
      );
      await until(async () => (await stats(gw)).fleet.upstreams[victim].state === "up");
    },
    SLOW,
  );

  it(
    "sends a model that only one upstream has to that one, every time, on every wire",
    async () => {
      const ups = [
        await standIn({ models: [MODEL] }),
        await standIn({ models: [MODEL, "only:7b"] }),
        await standIn({ models: [MODEL] }),
      ];
      const gw = await start([...fleetFlags(ups), ...QUICK]);
      await fleetReady(gw, 3);
      for (const kind of CLIENT_KINDS) {
        const c = client(kind, gw);
        const got = await Promise.all(
          Array.from({ length: 4 }, (_, i) => generate(c, `only ${kind} ${i}`, { model: "only:7b" })),
        );
        expect(
          got.filter((o) => o.error || o.text !== expectedText(o.prompt, 16, "only:7b")),
          kind,
        ).toEqual([]);
      }
      expect(await completions(ups)).toEqual([0, 12, 0]);
      // A model no upstream has is NOT_FOUND, as one Ollama says it.
      expect((await generate(client("http", gw), "none", { model: "absent:1b" })).error?.code).toBe(Code.NotFound);
    },
    SLOW,
  );

  it(
    "keeps a session's turns on one upstream (x-modelwire-session) on every wire, the ollama npm client too",
    async () => {
      const ups = [await standIn(), await standIn(), await standIn()];
      const gw = await start([...fleetFlags(ups), ...QUICK]);
      await fleetReady(gw, 3);
      /** Runs `turns` calls one after another; returns the upstream that served each (from the stand-ins' counts). */
      const served = async (turn: (i: number) => Promise<void>, turns: number) => {
        const where: number[] = [];
        for (let i = 0; i < turns; i++) {
          const before = await completions(ups);
          await turn(i);
          const after = await completions(ups);
          where.push(after.findIndex((x, k) => x > before[k]));
        }
        return where;
      };
      for (const kind of CLIENT_KINDS) {
        const c = client(kind, gw);
        const metadata = { "x-modelwire-session": `session-${kind}` };
        const where = await served(async (i) => {
          const o = await generate(c, `turn ${kind} ${i}`, { metadata });
          expect(o.error, kind).toBeUndefined();
        }, 5);
        expect(new Set(where).size, `${kind}: ${where}`).toBe(1);
      }
      const npm = new Ollama({ host: gw.url("http"), headers: { "x-modelwire-session": "session-npm" } });
      const where = await served(async (i) => {
        const r = await npm.chat({ model: MODEL, messages: [{ role: "user", content: `npm turn ${i}` }] });
        expect(r.done).toBe(true);
      }, 5);
      expect(new Set(where).size, `ollama npm: ${where}`).toBe(1);
      expect((await stats(gw)).fleet.affinityHits).toBe(4 * (CLIENT_KINDS.length + 1));
    },
    SLOW,
  );

  it(
    "every upstream down (one refusing connections, one not an Ollama): a warning at start, then UNAVAILABLE on every wire, readiness and gRPC health say so",
    async () => {
      const notOllama = createServer((_req, res) => res.writeHead(404).end("nothing here"));
      await new Promise<void>((r) => notOllama.listen(0, "127.0.0.1", r));
      closers.push(() => notOllama.close());
      const closed = createServer();
      await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
      const port = (closed.address() as AddressInfo).port;
      await new Promise<void>((r) => closed.close(() => r()));
      const gw = await start([
        "--upstream",
        `http://127.0.0.1:${port}`,
        "--upstream",
        `http://127.0.0.1:${(notOllama.address() as AddressInfo).port}`,
        "--upstream-probe-ms",
        "200",
        "--upstream-backoff-ms",
        "200",
      ]);
      // Both are out once their first checks fail (each says so).
      await until(
        () => gw.stderr().match(/warning: upstream http:\/\/127\.0\.0\.1:\d+ does not answer/g)?.length === 2,
      );
      for (const kind of CLIENT_KINDS) {
        const e = (await generate(client(kind, gw), `down ${kind}`)).error;
        expect(e?.code, `${kind}: ${e?.message}`).toBe(Code.Unavailable);
      }
      expect((await fetch(`${gw.url("admin")}/readyz`)).status).toBe(503);
      const Health = grpc.makeGenericClientConstructor(healthService, "Health");
      const health: any = new Health(new URL(gw.url("connect")).host, grpc.credentials.createInsecure());
      closers.push(() => health.close());
      const check = () =>
        new Promise<string>((resolve, reject) =>
          health.check({ service: "" }, { deadline: Date.now() + 5_000 }, (e: Error | null, r: { status: string }) =>
            e ? reject(e) : resolve(r.status),
          ),
        );
      expect(await check()).toBe("NOT_SERVING");
      // One comes up where the refusing one was: ready, serving, and calls go there.
      await standIn({ port });
      await until(async () => (await fetch(`${gw.url("admin")}/readyz`)).status === 200);
      expect(await check()).toBe("SERVING");
      const o = await generate(client("http", gw), "up again");
      expect(o.error).toBeUndefined();
      expect(o.text).toBe(expectedText("up again", 16));
    },
    SLOW,
  );

  it("a malformed upstream list is a usage error naming the flag (exit 2)", async () => {
    for (const args of [
      ["--upstream", "ftp://h:1"],
      ["--upstream", "http://h:1,weight=0"],
      ["--upstream", "http://h:1,colour=red"],
      ["--upstream", "http://h:1", "--upstream", "http://h:1/"],
    ]) {
      const r = await runGateway(["--http-port", "0", ...args]);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr, args.join(" ")).toMatch(/--upstream/);
    }
    const env = await runGateway(["--http-port", "0"], { MODELWIRE_UPSTREAM: "not a url" });
    expect(env.code).toBe(2);
    expect(env.stderr).toMatch(/MODELWIRE_UPSTREAM/);
  });
});
