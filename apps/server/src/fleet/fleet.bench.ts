/**
 * Fleet figures (issue 17): the routing decision's cost per call (tinybench), throughput and TTFT through a
 * gateway in front of one stand-in Ollama vs three, and a kill-one-upstream run (calls failed, retried,
 * duplicated). Stand-ins and the gateway are separate processes on 127.0.0.1; every run is bounded in calls and
 * time. Run it under the measurement lock, after a build:
 *
 *   /work/tools/quiet npm run perf:fleet -w @modelwire/server
 *
 * @module
 */

import { performance } from "node:perf_hooks";
import { createOllamaClient } from "@modelwire/http";
import { chunkTokens, replyTokens, type SpawnedStandIn, spawnOllamaStandIn } from "@modelwire/test-kit/ollama";
import { build } from "hdr-histogram-js";
import { Bench } from "tinybench";
import { type SpawnedGateway, spawnGateway } from "../test-support/spawn-gateway.js";
import { chooseUpstream, type RouteAsk, type UpstreamView } from "./route.js";

/** A stand-in with a realistic shape: 40 ms prompt evaluation, 8 ms per token, 32 tokens, 4 generating at once. */
const SHAPE = { ttftMs: 40, interTokenMs: 8, defaultTokens: 32, parallel: 4 };
const CALLERS = 12;
const CALLS = 180;
const RUN_LIMIT_MS = 60_000;
const SEED = 3;
const MODEL = "standin:latest";

async function routingCost(): Promise<void> {
  const views = (n: number): UpstreamView[] =>
    Array.from({ length: n }, (_, i) => ({
      availability: "up",
      inFlight: i % 3,
      maxStreams: Number.POSITIVE_INFINITY,
      weight: 1 + (i % 2),
      models: new Set([`${MODEL}`, `m${i}:latest`]),
    }));
  const per = 1000;
  const bench = new Bench({ time: 1_000, warmupTime: 200 });
  for (const n of [3, 31]) {
    const v = views(n);
    let sink = 0;
    bench.add(`chooseUpstream, ${n} upstreams (x${per})`, () => {
      for (let k = 0; k < per; k++) {
        v[k % n].inFlight = k & 3;
        const ask: RouteAsk = { model: MODEL, preferred: -1, tried: 0, listedOnly: false };
        sink += chooseUpstream(v, ask, Math.random);
      }
    });
    if (sink < 0) console.log(sink);
  }
  await bench.run();
  for (const t of bench.tasks) {
    const r = t.result as { latency?: { mean: number; p99?: number } } | undefined;
    const mean = r?.latency?.mean;
    if (mean !== undefined) console.log(`${t.name}: ${((mean * 1000) / per).toFixed(3)} µs per decision (mean)`);
  }
}

function expected(prompt: string): string {
  return chunkTokens(replyTokens({ model: MODEL, prompt, seed: SEED }, SHAPE.defaultTokens, 0), 1).join("");
}

interface RunResult {
  calls: number;
  ok: number;
  failed: number;
  duplicated: number;
  seconds: number;
  ttft: { p50: number; p99: number };
}

/** CALLERS closed-loop callers make CALLS calls in all through `gw`; `during(done)` runs after each completion. */
async function load(gw: SpawnedGateway, tag: string, during?: (done: number) => void): Promise<RunResult> {
  const client = createOllamaClient({ host: gw.url("http"), retries: 0, connections: CALLERS });
  const h = build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
  let next = 0;
  let done = 0;
  let ok = 0;
  let failed = 0;
  let duplicated = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      while (next < CALLS && performance.now() - t0 < RUN_LIMIT_MS) {
        const prompt = `${tag} ${next++}`;
        const sent = performance.now();
        let text = "";
        let first = true;
        try {
          for await (const c of client.generate({ model: MODEL, prompt, options: { seed: BigInt(SEED) } })) {
            if (first && c.response.length > 0) {
              h.recordValue(Math.round((performance.now() - sent) * 1000));
              first = false;
            }
            text += c.response;
          }
          if (text === expected(prompt)) ok++;
          else duplicated++;
        } catch {
          if (!expected(prompt).startsWith(text)) duplicated++;
          failed++;
        }
        done++;
        during?.(done);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  await client.close();
  return {
    calls: done,
    ok,
    failed,
    duplicated,
    seconds,
    ttft: { p50: h.getValueAtPercentile(50) / 1000, p99: h.getValueAtPercentile(99) / 1000 },
  };
}

const show = (name: string, r: RunResult) =>
  console.log(
    `${name}: ${r.calls} calls in ${r.seconds.toFixed(2)} s = ${(r.calls / r.seconds).toFixed(1)} calls/s, ` +
      `${((r.ok * SHAPE.defaultTokens) / r.seconds).toFixed(0)} tokens/s; TTFT p50 ${r.ttft.p50.toFixed(1)} ms, ` +
      `p99 ${r.ttft.p99.toFixed(1)} ms; ok ${r.ok}, failed ${r.failed}, duplicated or altered ${r.duplicated}`,
  );

async function stats(gw: SpawnedGateway): Promise<Record<string, any>> {
  return (await (await fetch(`${gw.url("admin")}/control/stats`)).json()) as Record<string, any>;
}

const FREE = ["--http-port", "0", "--no-connect", "--no-mcp", "--admin-port", "0", "--quiet"];
const QUICK = ["--upstream-probe-ms", "200", "--upstream-backoff-ms", "200"];

async function main(): Promise<void> {
  console.log(`fleet bench ${new Date().toISOString()}; stand-ins ${JSON.stringify(SHAPE)}; ${CALLERS} callers`);
  await routingCost();
  const ups: SpawnedStandIn[] = [];
  const gws: SpawnedGateway[] = [];
  try {
    for (let i = 0; i < 3; i++) ups.push(await spawnOllamaStandIn(SHAPE));
    const one = await spawnGateway([...FREE, "--upstream", ups[0].url]);
    gws.push(one);
    await load(one, "warm", undefined);
    show("one upstream", await load(one, "one"));
    const fleetArgs = [...FREE, ...QUICK, ...ups.flatMap((u) => ["--upstream", u.url])];
    const fleet = await spawnGateway(fleetArgs);
    gws.push(fleet);
    while ((await stats(fleet)).fleet.upstreams.some((u: { models: unknown }) => u.models === null)) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await load(fleet, "warm3", undefined);
    const r3 = await load(fleet, "three");
    show("three upstreams", r3);
    console.log(
      `spread: ${(await stats(fleet)).fleet.upstreams.map((u: { requests: number }) => u.requests).join(" / ")}`,
    );

    // Kill one upstream a third of the way in.
    await fetch(`${fleet.url("admin")}/control/reset`, { method: "POST" });
    let killed = false;
    const rk = await load(fleet, "kill", (done) => {
      if (!killed && done >= CALLS / 3) {
        killed = true;
        process.kill(ups[1].pid, "SIGKILL");
      }
    });
    show("three upstreams, one SIGKILLed after a third of the calls", rk);
    const s = (await stats(fleet)).fleet;
    console.log(
      `kill run: calls failed ${rk.failed} (cut mid-stream: ${s.upstreams[1].failedMidStream}), ` +
        `calls retried on another upstream ${s.retries}, duplicated tokens ${rk.duplicated}`,
    );
  } finally {
    await Promise.allSettled(gws.map((g) => g.kill()));
    await Promise.allSettled(ups.map((u) => u.close()));
  }
}

await main();
