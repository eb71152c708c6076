import type { GenerateRequestInit, GenerateResponse, InferenceClient } from "@modelwire/core";
import { createOllamaClient } from "@modelwire/http";
import { until } from "@modelwire/test-kit";
import { afterEach, describe, expect, it } from "vitest";
import type { ControlStats } from "./gateway.js";
import { type Gateway, startGateway } from "./index.js";
import { FREE_PORTS } from "./test-support/gateways.js";
import { haveRedisServer, type RedisServer, startRedisServer } from "./test-support/redis-server.js";
import { runGateway, type SpawnedGateway, spawnGateway } from "./test-support/spawn-gateway.js";

// CI installs redis-server (.ci/run); there a missing one fails these tests instead of skipping them.
const present = haveRedisServer() || process.env.CI === "true";

let redis: RedisServer | undefined;
let gw: Gateway | undefined;
const spawned: SpawnedGateway[] = [];
const clients: InferenceClient[] = [];
afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((c) => c.close()));
  await gw?.close({ graceMs: 0 });
  gw = undefined;
  await Promise.allSettled(spawned.splice(0).map((g) => g.kill()));
  await redis?.stop();
  redis = undefined;
});

const REQUEST: GenerateRequestInit = { model: "synthetic", prompt: "shared", options: { temperature: 0, seed: 5n } };

async function run(client: InferenceClient, request = REQUEST) {
  const chunks: GenerateResponse[] = [];
  for await (const c of client.generate(request)) chunks.push(c);
  return { text: chunks.map((c) => c.response).join(""), final: chunks[chunks.length - 1] };
}

async function controlStats(admin: string): Promise<ControlStats> {
  return (await (await fetch(`${admin}/control/stats`)).json()) as ControlStats;
}

describe.skipIf(!present)("the response cache in Redis", () => {
  it("is shared by two gateway processes: one stores, the other answers from it", async () => {
    redis = await startRedisServer();
    const args = ["--cache-redis", redis.url, "--tokens", "20", "--quiet"];
    const a = await spawnGateway([...FREE_PORTS, ...args]);
    spawned.push(a);
    const b = await spawnGateway([...FREE_PORTS, ...args]);
    spawned.push(b);
    const ca = createOllamaClient({ host: a.url("http"), retries: 0 });
    const cb = createOllamaClient({ host: b.url("http"), retries: 0 });
    clients.push(ca, cb);

    const miss = await run(ca);
    expect(miss.final.cacheHit).toBeUndefined();
    await until(async () => (await controlStats(a.url("admin"))).cache?.stores === 1);
    const hit = await run(cb);
    expect(hit.text).toBe(miss.text);
    expect(hit.final.cacheHit?.originalMetrics).toEqual(miss.final.metrics);
    const sb = await controlStats(b.url("admin"));
    expect(sb.cache).toMatchObject({ hits: 1, misses: 0, stores: 0, store: { kind: "redis", available: true } });
    expect(sb.engine.requests).toBe(0);

    // An unload through one gateway drops the model's entries for both.
    await run(cb, { model: "synthetic", prompt: "", keepAlive: { seconds: 0n } });
    await until(async () => ((await controlStats(b.url("admin"))).cache?.dropped ?? 0) >= 1);
    const after = await run(ca);
    expect(after.final.cacheHit).toBeUndefined();
  });

  it("degrades to no cache with one warning when Redis dies, never failing a call, and recovers when it is back", async () => {
    redis = await startRedisServer();
    const warnings: string[] = [];
    gw = await startGateway({ httpPort: 0, connectPort: 0, mcpPort: 0, adminPort: 0, cacheRedis: redis.url }, (line) =>
      warnings.push(line),
    );
    const client = createOllamaClient({ host: gw.url("http") ?? "", retries: 0 });
    clients.push(client);
    await run(client);
    await until(() => gw?.cache?.cacheStats().stores === 1);
    expect((await run(client)).final.cacheHit).toBeDefined();

    await redis.kill();
    await until(() => gw?.cache?.cacheStats().store.available === false);
    for (let i = 0; i < 5; i++) {
      const r = await run(client, { ...REQUEST, prompt: `while down ${i}` });
      expect(r.final.done).toBe(true);
      expect(r.final.cacheHit).toBeUndefined();
    }
    const down = await run(client);
    expect(down.final.cacheHit).toBeUndefined();
    const failing = warnings.filter((w) => w.includes("response cache") && w.includes("failed"));
    expect(failing.length).toBe(1);
    expect(gw.cache?.cacheStats().store.errors).toBeGreaterThanOrEqual(6);

    await redis.restart();
    await until(() => gw?.cache?.cacheStats().store.available === true);
    await run(client, { ...REQUEST, prompt: "back" });
    await until(async () => (await run(client, { ...REQUEST, prompt: "back" })).final.cacheHit !== undefined);
    expect(warnings.some((w) => w.includes("answers again"))).toBe(true);
  });

  it("refuses to start when the Redis named by --cache-redis does not answer, naming the flag", async () => {
    redis = await startRedisServer();
    await redis.kill();
    const r = await runGateway([...FREE_PORTS, "--cache-redis", redis.url]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("--cache-redis: cannot reach Redis");
  });
});
