import { createConnectClient } from "@modelwire/connect";
import type { GenerateRequestInit, GenerateResponse, InferenceClient } from "@modelwire/core";
import { until } from "@modelwire/test-kit";
import { afterEach, describe, expect, it } from "vitest";
import { resolveServeConfig } from "./config.js";
import { type Gateway, startGateway } from "./index.js";
import { ADDRESS_OF, CLIENT_KINDS, makeClient } from "./test-support/clients.js";
import { parsePrometheus, sumOf } from "./test-support/prometheus.js";
import { runGateway } from "./test-support/spawn-gateway.js";

let gw: Gateway | undefined;
const clients: InferenceClient[] = [];
afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((c) => c.close()));
  await gw?.close({ graceMs: 0 });
  gw = undefined;
});

const PORTS = { httpPort: 0, connectPort: 0, mcpPort: 0, adminPort: 0 };

async function run(client: InferenceClient, request: GenerateRequestInit, metadata?: Record<string, string>) {
  const chunks: GenerateResponse[] = [];
  for await (const c of client.generate(request, { metadata })) chunks.push(c);
  return { text: chunks.map((c) => c.response).join(""), final: chunks[chunks.length - 1] };
}

describe("the response cache in the gateway", () => {
  it("answers a repeated deterministic request from the cache on every wire, saying so in the final chunk", async () => {
    gw = await startGateway({ ...PORTS, cacheMb: 4, tokens: 24 });
    const kinds: [string, InferenceClient][] = CLIENT_KINDS.map((k) => [
      k,
      makeClient(k, gw?.url(ADDRESS_OF[k]) ?? ""),
    ]);
    kinds.push([
      "connect-protocol",
      createConnectClient({ baseUrl: gw.url("connect") ?? "", protocol: "connect", retry: false }),
    ]);
    for (const [, c] of kinds) clients.push(c);
    for (const [kind, client] of kinds) {
      const request = { model: "synthetic", prompt: `about ${kind}`, options: { temperature: 0, seed: 11n } };
      const stores = gw.cache?.cacheStats().stores ?? 0;
      const miss = await run(client, request);
      expect(miss.final.cacheHit, kind).toBeUndefined();
      await until(() => (gw?.cache?.cacheStats().stores ?? 0) === stores + 1);
      const hit = await run(client, request);
      expect(hit.text, kind).toBe(miss.text);
      expect(hit.final.cacheHit?.originalMetrics, kind).toEqual(miss.final.metrics);
      expect(hit.final.metrics?.evalCount, kind).toBe(miss.final.metrics?.evalCount);
      expect(hit.final.metrics?.loadDuration, kind).toBe(0n);
    }
    // The opt-in travels as request metadata on every wire: an HTTP header, gRPC/Connect metadata, MCP metadata.
    for (const [kind, client] of kinds) {
      const request = { model: "synthetic", prompt: `opt in over ${kind}`, options: { temperature: 0.9 } };
      const on = { "x-modelwire-cache": "on" };
      await run(client, request, on);
      await until(() => (gw?.cache?.cacheStats().misses ?? 0) === (gw?.cache?.cacheStats().stores ?? -1));
      const hit = await run(client, request, on);
      expect(hit.final.cacheHit, kind).toBeDefined();
      const plain = await run(client, request);
      expect(plain.final.cacheHit, kind).toBeUndefined();
    }
    const n = kinds.length;
    const stats = gw.stats().cache;
    expect(stats).toMatchObject({ hits: 2 * n, misses: 2 * n, stores: 2 * n });
    expect(stats?.skipped.not_deterministic).toBe(n);
    expect(stats?.store).toMatchObject({ kind: "memory", entries: 2 * n, maxBytes: 4 * 1024 * 1024 });
    const admin = gw.url("admin") ?? "";
    const control = (await (await fetch(`${admin}/control/stats`)).json()) as { cache: typeof stats };
    expect(control.cache?.hits).toBe(2 * n);
    const families = parsePrometheus(await (await fetch(`${admin}/metrics`)).text());
    const metrics = { value: (name: string, labels: Record<string, string> = {}) => sumOf(families, name, labels) };
    expect(families.has("modelwire_cache_hits_total")).toBe(true);
    expect(metrics.value("modelwire_cache_hits_total")).toBe(2 * n);
    expect(metrics.value("modelwire_cache_misses_total")).toBe(2 * n);
    expect(metrics.value("modelwire_cache_entries")).toBe(2 * n);
    expect(metrics.value("modelwire_cache_bytes")).toBe(stats?.store.bytes);
    expect(metrics.value("modelwire_cache_evictions_total")).toBe(0);
    expect(metrics.value("modelwire_cache_skipped_total", { reason: "not_deterministic" })).toBe(n);
  });

  it("shows the hit to Ollama's JSON as a modelwire_cache field, also with stream: false", async () => {
    gw = await startGateway({ ...PORTS, cacheMb: 1 });
    const body = { model: "synthetic", prompt: "json", stream: false, options: { temperature: 0, seed: 1 } };
    const post = async () =>
      (await (
        await fetch(`${gw?.url("http")}/api/generate`, { method: "POST", body: JSON.stringify(body) })
      ).json()) as Record<string, unknown>;
    const miss = await post();
    await until(() => gw?.cache?.cacheStats().stores === 1);
    const hit = await post();
    expect(miss.modelwire_cache).toBeUndefined();
    expect(hit.response).toBe(miss.response);
    expect(hit.modelwire_cache).toMatchObject({
      hit: true,
      original: { eval_count: miss.eval_count, total_duration: miss.total_duration },
    });
    expect(hit.load_duration).toBe(0);
  });

  it("is off by default, and a bad switch value is a 400 naming it", async () => {
    gw = await startGateway(PORTS);
    expect(gw.stats().cache).toBeUndefined();
    await gw.close({ graceMs: 0 });
    gw = await startGateway({ ...PORTS, cacheMb: 1 });
    const r = await fetch(`${gw.url("http")}/api/generate`, {
      method: "POST",
      headers: { "x-modelwire-cache": "sometimes" },
      body: JSON.stringify({ model: "synthetic", prompt: "x" }),
    });
    expect(r.status).toBe(400);
    expect(await r.text()).toContain("x-modelwire-cache");
  });
});

describe("cache options", () => {
  it("refuse sizes and TTLs out of range, naming the flag", () => {
    const bad: [string[], string][] = [
      [["--cache-mb", "-1"], "--cache-mb"],
      [["--cache-mb", "lots"], "--cache-mb"],
      [["--cache-mb", "70000"], "--cache-mb"],
      [["--cache-ttl", "-5"], "--cache-ttl"],
      [["--cache-ttl", "2592001"], "--cache-ttl"],
      [["--cache-redis", "http://127.0.0.1:6379"], "--cache-redis"],
      [["--cache-redis", "unix:relative.sock"], "--cache-redis"],
    ];
    for (const [argv, flag] of bad) {
      expect(() => resolveServeConfig({ argv, env: {} }), argv.join(" ")).toThrow(flag);
    }
    const ok = resolveServeConfig({ argv: ["--cache-mb", "0.5", "--cache-ttl", "0"], env: {} });
    expect(ok).toMatchObject({ help: false, config: { cacheMb: 0.5, cacheTtl: 0 } });
  });

  it("exit 2 from the command line with the flag named", async () => {
    const r = await runGateway(["--cache-mb", "-3"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--cache-mb");
    const t = await runGateway([], { MODELWIRE_CACHE_TTL: "forever" });
    expect(t.code).toBe(2);
    expect(t.stderr).toContain("MODELWIRE_CACHE_TTL");
  });
});
