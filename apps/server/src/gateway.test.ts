import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, type InferenceClient } from "@modelwire/core";
import { until } from "@modelwire/test-kit";
import { describe, expect, it } from "vitest";
import {
  ADDRESS_OF,
  CLIENT_KINDS,
  expectedChat,
  expectedGenerate,
  failureOf,
  makeClient,
  runChat,
  runGenerate,
} from "./test-support/clients.js";
import { FREE_PORTS, gatewaysAfterEach } from "./test-support/gateways.js";
import { parsePrometheus, sumOf } from "./test-support/prometheus.js";
import { runGateway, type SpawnedGateway } from "./test-support/spawn-gateway.js";

const { clients, start } = gatewaysAfterEach();

function client(gw: SpawnedGateway, kind: (typeof CLIENT_KINDS)[number], authToken?: string) {
  const c = makeClient(kind, gw.url(ADDRESS_OF[kind]), authToken);
  clients.push(c);
  return c;
}

async function scrape(gw: SpawnedGateway) {
  const r = await fetch(`${gw.url("admin")}/metrics`);
  expect(r.status).toBe(200);
  expect(r.headers.get("content-type")).toMatch(/^text\/plain/);
  return parsePrometheus(await r.text());
}

async function controlStats(gw: SpawnedGateway) {
  const r = await fetch(`${gw.url("admin")}/control/stats`);
  expect(r.status).toBe(200);
  return (await r.json()) as Record<string, any>;
}

describe("modelwire serve (the built binary)", () => {
  it("serves every protocol over one engine, with exact tokens, and metrics that count what was done", async () => {
    const knobs = { seed: 7, tokens: 12 };
    const gw = await start(["--seed", "7", "--tokens", "12"]);
    // The ready line names every listener, and stdout carries nothing else.
    expect(gw.ready.addresses.map((a) => a.protocol)).toEqual([...CLIENT_KINDS.map((k) => ADDRESS_OF[k]), "admin"]);
    expect(gw.ready.pid).toBe(gw.proc.pid);
    expect(gw.ready.startupMs).toBeGreaterThan(0);

    let expectedTokens = 0;
    for (const kind of CLIENT_KINDS) {
      const c = client(gw, kind);
      const gen = { model: "synthetic", prompt: `hello over ${kind}` };
      const g = await runGenerate(c, gen, expectedGenerate(knobs, gen));
      expect(g.intact, kind).toBe(true);
      expect(g.tokens).toHaveLength(12);
      const chat = { model: "synthetic:7b", messages: [{ role: "user", content: `hi ${kind}` }] };
      const ch = await runChat(c, chat, expectedChat(knobs, chat));
      expect(ch.intact, kind).toBe(true);
      expectedTokens += g.tokens.length + ch.tokens.length;
      const missing = await failureOf(() => runGenerate(c, { model: "nope", prompt: "x" }, []));
      expect(missing.code, kind).toBe(Code.NotFound);
      const list = await c.list();
      expect(list.models.map((m) => m.name)).toContain("synthetic:latest");
    }

    const fams = await scrape(gw);
    const protocolsSeen = new Set(fams.get("modelwire_requests_total")?.samples.map((s) => s.labels.protocol));
    expect(protocolsSeen.size).toBeGreaterThanOrEqual(CLIENT_KINDS.length);
    expect(sumOf(fams, "modelwire_requests_total", { method: "generate" })).toBe(2 * CLIENT_KINDS.length);
    expect(sumOf(fams, "modelwire_requests_total", { method: "chat" })).toBe(CLIENT_KINDS.length);
    expect(sumOf(fams, "modelwire_tokens_total")).toBe(expectedTokens);
    expect(sumOf(fams, "modelwire_errors_total", { code: "not_found" })).toBe(CLIENT_KINDS.length);
    expect(sumOf(fams, "modelwire_streams_in_flight")).toBe(0);
    const ttft = "modelwire_time_to_first_token_seconds";
    expect(sumOf(fams, ttft, {}, `${ttft}_count`)).toBe(2 * CLIENT_KINDS.length);
    expect(sumOf(fams, "modelwire_engine_tokens_total")).toBe(expectedTokens);
    expect(sumOf(fams, "process_resident_memory_bytes")).toBeGreaterThan(0);
    expect(sumOf(fams, "process_cpu_user_seconds_total")).toBeGreaterThan(0);
    for (const kind of CLIENT_KINDS) {
      const p = kind === "mcp" ? "mcp" : kind;
      expect(sumOf(fams, "modelwire_received_bytes_total", { protocol: p }), kind).toBeGreaterThan(0);
      expect(sumOf(fams, "modelwire_sent_bytes_total", { protocol: p }), kind).toBeGreaterThan(0);
    }

    const stats = await controlStats(gw);
    expect(stats.pid).toBe(gw.proc.pid);
    expect(stats.engine.tokens).toBe(expectedTokens);
    expect(stats.cpu.userMicros).toBeGreaterThan(0);
    expect(stats.rssBytes).toBeGreaterThan(0);
    expect(stats.maxRssBytes).toBeGreaterThanOrEqual(stats.rssBytes / 2);
    expect(Object.keys(stats.servers).sort()).toEqual(["connect", "http", "mcp"]);
    for (const kind of CLIENT_KINDS) expect(stats.servers[kind].bytesOut, kind).toBeGreaterThan(0);

    expect(gw.stdout().trim().split("\n")).toHaveLength(1);
  });

  it("reconfigures and resets the synthetic engine through the control endpoint", async () => {
    const gw = await start(["--tokens", "5"]);
    const admin = gw.url("admin");
    const post = (path: string, body?: unknown) =>
      fetch(`${admin}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    let r = await post("/control/engine", { tokens: 3, seed: 9 });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ tokens: 3, seed: 9, ttftMs: 0 });
    const c = client(gw, CLIENT_KINDS[0]);
    const req = { model: "synthetic", prompt: "after reconfigure" };
    const g = await runGenerate(c, req, expectedGenerate({ tokens: 3, seed: 9 }, req));
    expect(g.intact).toBe(true);
    expect((await controlStats(gw)).engine.tokens).toBe(3);
    r = await post("/control/reset");
    expect(r.status).toBe(204);
    expect((await controlStats(gw)).engine).toMatchObject({ tokens: 0, requests: 0 });
    r = await post("/control/engine", { jitter: 5 });
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({ field: "jitter" });
    r = await post("/control/engine", { tokenz: 5 });
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({ field: "tokenz" });
  });

  it("refuses the excess at once with each protocol's busy code, and every admitted stream completes intact", async () => {
    const limit = 3;
    // The admitted streams hold every slot for their 3 s TTFT. The excess is sent only once the gateway reports all
    // slots held, so the window counts from then: a loaded machine that is slow to open the excess connections
    // (HTTP/1.1 needs one per call) can no longer reach the gateway after an admitted stream ended and be admitted.
    const knobs = { seed: 42, tokens: 20, ttftMs: 3000, interTokenMs: 10 };
    const gw = await start([
      "--max-streams",
      String(limit),
      "--tokens",
      "20",
      "--ttft-ms",
      "3000",
      "--inter-token-ms",
      "10",
    ]);
    const held = async () => sumOf(await scrape(gw), "modelwire_admission_in_flight");
    for (const kind of CLIENT_KINDS) {
      const c = client(gw, kind);
      await until(async () => (await held()) === 0, 30_000); // the previous wire's slots are free
      const t0 = performance.now();
      const call = async (i: number) => {
        const req = { model: "synthetic", prompt: `overload ${kind} ${i}` };
        try {
          const r = await runGenerate(c, req, expectedGenerate(knobs, req));
          return { ok: true as const, r, at: performance.now() - t0 };
        } catch (e) {
          return { ok: false as const, e: e as { code?: Code }, at: performance.now() - t0 };
        }
      };
      const first = Array.from({ length: limit }, (_, i) => call(i));
      await until(async () => (await held()) === limit, 30_000);
      const excess = Array.from({ length: limit * 9 }, (_, i) => call(limit + i));
      const outcomes = await Promise.all([...first, ...excess]);
      const admitted = outcomes.filter((o) => o.ok);
      const refused = outcomes.filter((o) => !o.ok);
      expect(admitted, kind).toHaveLength(limit);
      for (const a of admitted) expect(a.ok && a.r.intact, kind).toBe(true);
      expect(refused, kind).toHaveLength(limit * 9);
      for (const f of refused) expect(!f.ok && f.e.code, kind).toBe(Code.ResourceExhausted);
      // "At once": every refusal arrived before the first admitted stream could even produce its first token.
      const firstAdmittedEnd = Math.min(...admitted.map((a) => a.at));
      for (const f of refused) expect(f.at, kind).toBeLessThan(firstAdmittedEnd);
    }
    const fams = await scrape(gw);
    expect(sumOf(fams, "modelwire_admission_rejected_total")).toBe(limit * 9 * CLIENT_KINDS.length);
    expect(sumOf(fams, "modelwire_errors_total", { code: "resource_exhausted" })).toBe(limit * 9 * CLIENT_KINDS.length);
  }, 120_000);

  it("answers the busy and unauthenticated cases on the HTTP wire with 503 and 401", async () => {
    const gw = await start(["--max-streams", "1", "--tokens", "30", "--inter-token-ms", "50", "--auth-token", "t"]);
    const c = client(gw, "mcp", "t");
    let onFirst!: () => void;
    const first = new Promise<void>((r) => (onFirst = r));
    const req = { model: "synthetic", prompt: "hold the only slot" };
    const holding = runGenerate(c, req, expectedGenerate({ tokens: 30 }, req), { onFirst });
    await first;
    const body = JSON.stringify({ model: "synthetic", prompt: "x" });
    const busy = await fetch(`${gw.url("http")}/api/generate`, {
      method: "POST",
      body,
      headers: { authorization: "Bearer t" },
    });
    expect(busy.status).toBe(503);
    expect(((await busy.json()) as { error?: string }).error).toMatch(/busy/);
    const anon = await fetch(`${gw.url("http")}/api/generate`, { method: "POST", body });
    expect(anon.status).toBe(401);
    await anon.body?.cancel();
    expect((await holding).intact).toBe(true);
  });

  it("queues up to --max-queue calls behind --max-streams and refuses only beyond both", async () => {
    const knobs = { seed: 42, tokens: 8, interTokenMs: 100 };
    const gw = await start(["--max-streams", "1", "--max-queue", "2", "--tokens", "8", "--inter-token-ms", "100"]);
    const admission = async () => {
      const fams = await scrape(gw);
      return {
        running: sumOf(fams, "modelwire_admission_in_flight"),
        queued: sumOf(fams, "modelwire_admission_queued"),
      };
    };
    for (const kind of CLIENT_KINDS) {
      const c = client(gw, kind);
      const call = (i: number) => {
        const req = { model: "synthetic", prompt: `queue ${kind} ${i}` };
        return runGenerate(c, req, expectedGenerate(knobs, req)).then(
          (r) => r.intact,
          (e: { code?: Code }) => e.code,
        );
      };
      // One running and two queued first (waited for: a loaded machine may be slow to send them), then two more.
      const held = Array.from({ length: 3 }, (_, i) => call(i));
      await until(async () => {
        const a = await admission();
        return a.running === 1 && a.queued === 2;
      }, 30_000);
      const outcomes = await Promise.all([...held, call(3), call(4)]);
      expect(
        outcomes.filter((o) => o === true),
        kind,
      ).toHaveLength(3); // one running + two queued, all intact
      expect(
        outcomes.filter((o) => o === Code.ResourceExhausted),
        kind,
      ).toHaveLength(2);
    }
  }, 120_000);

  it("on SIGTERM lets admitted streams finish, refuses new ones, and exits 0", async () => {
    const knobs = { seed: 42, tokens: 20, interTokenMs: 75 };
    const gw = await start(["--tokens", "20", "--inter-token-ms", "75", "--grace-ms", "15000"]);
    const streams: Promise<Awaited<ReturnType<typeof runGenerate>>>[] = [];
    const firsts: Promise<void>[] = [];
    const busy = new Map<string, InferenceClient>();
    for (const kind of CLIENT_KINDS) {
      const c = client(gw, kind);
      busy.set(kind, c);
      for (let i = 0; i < 2; i++) {
        const req = { model: "synthetic", prompt: `drain ${kind} ${i}` };
        let onFirst!: () => void;
        firsts.push(new Promise<void>((r) => (onFirst = r)));
        streams.push(runGenerate(c, req, expectedGenerate(knobs, req), { onFirst }));
      }
    }
    await Promise.all(firsts); // every stream is mid-flight
    gw.proc.kill("SIGTERM");
    // Wait until the gateway reports draining.
    let draining = false;
    for (let i = 0; i < 400 && !draining; i++) {
      const r = await fetch(`${gw.url("admin")}/healthz`).catch(() => undefined);
      if (r?.status === 503) {
        expect(await r.json()).toEqual({ status: "draining" });
        draining = true;
      } else await new Promise((r) => setTimeout(r, 25));
    }
    expect(draining).toBe(true);
    // New calls are refused on every protocol, both on a new connection and on the existing one.
    for (const kind of CLIENT_KINDS) {
      const fresh = client(gw, kind);
      const e = await failureOf(() => runGenerate(fresh, { model: "synthetic", prompt: "late" }, []));
      expect(e.code, kind).toBe(Code.Unavailable);
      const same = await failureOf(() => runGenerate(busy.get(kind)!, { model: "synthetic", prompt: "late too" }, []));
      expect(same.code, kind).toBe(Code.Unavailable);
    }
    const results = await Promise.all(streams);
    for (const r of results) {
      expect(r.intact).toBe(true);
      expect(r.tokens).toHaveLength(20);
    }
    const exit = await gw.exited;
    expect(exit).toEqual({ code: 0, signal: null });
  });

  it("cuts streams that outlast --grace-ms, telling the client why, and still exits 0", async () => {
    const gw = await start(["--tokens", "200", "--inter-token-ms", "50", "--grace-ms", "300"]);
    const outcomes: Promise<{ code?: Code; message?: string; completed: boolean }>[] = [];
    const firsts: Promise<void>[] = [];
    for (const kind of CLIENT_KINDS) {
      const c = client(gw, kind);
      let onFirst!: () => void;
      firsts.push(new Promise<void>((r) => (onFirst = r)));
      outcomes.push(
        runGenerate(c, { model: "synthetic", prompt: `long ${kind}` }, [], { onFirst }).then(
          () => ({ completed: true }),
          (e: { code?: Code; message?: string }) => ({ code: e.code, message: e.message, completed: false }),
        ),
      );
    }
    await Promise.all(firsts);
    const t0 = performance.now();
    gw.proc.kill("SIGTERM");
    expect(await gw.exited).toEqual({ code: 0, signal: null });
    // Grace 300 ms against 10 s of tokens: the exit comes from the grace period, not from the streams ending.
    expect(performance.now() - t0).toBeLessThan(8_000);
    const settled = await Promise.all(outcomes);
    for (const [i, o] of settled.entries()) {
      expect(o.completed, CLIENT_KINDS[i]).toBe(false);
      expect(o.code, CLIENT_KINDS[i]).toBe(Code.Unavailable);
      // The server's reason reaches every client, not a bare "connection closed".
      expect(o.message, CLIENT_KINDS[i]).toMatch(/server shutting down/);
    }
  });

  it("refuses unauthenticated calls on every protocol when --auth-token is set", async () => {
    const gw = await start(["--auth-token", "s3cret"], {});
    for (const kind of CLIENT_KINDS) {
      const anon = client(gw, kind);
      const e = await failureOf(() => runGenerate(anon, { model: "synthetic", prompt: "x" }, []));
      expect(e.code, kind).toBe(Code.Unauthenticated);
      const wrong = client(gw, kind, "wrong");
      expect((await failureOf(() => wrong.list())).code, kind).toBe(Code.Unauthenticated);
      const ok = client(gw, kind, "s3cret");
      const req = { model: "synthetic", prompt: "authorized" };
      expect((await runGenerate(ok, req, expectedGenerate({}, req))).intact, kind).toBe(true);
    }
    const fams = await scrape(gw);
    expect(sumOf(fams, "modelwire_engine_requests_total")).toBe(CLIENT_KINDS.length);
  });

  it("takes options from a config file and the environment, and exits 0 on SIGINT", async () => {
    const dir = mkdtempSync(join(tmpdir(), "modelwire-config-"));
    try {
      const file = join(dir, "serve.json");
      writeFileSync(file, JSON.stringify({ tokens: 4, seed: 3, ttftMs: 1, connect: false }));
      // env beats the file (seed), flags beat env (tokens); the file alone sets ttftMs and switches Connect off.
      const gw = await start(["--config", file, "--tokens", "6"], { MODELWIRE_SEED: "5", MODELWIRE_TOKENS: "5" });
      expect(gw.ready.addresses.map((a) => a.protocol)).toEqual(["http", "mcp-tcp", "admin"]);
      expect((await controlStats(gw)).engineConfig).toEqual({
        tokens: 6,
        seed: 5,
        ttftMs: 1,
        interTokenMs: 0,
        jitter: 0,
        loadMs: 0,
      });
      gw.proc.kill("SIGINT");
      expect(await gw.exited).toEqual({ code: 0, signal: null });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("--help documents every option; bad options exit 2 naming the option; a taken port exits 1 naming the flag", async () => {
    const help = await runGateway(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--max-streams N");
    expect(help.stdout).toContain("MODELWIRE_AUTH_TOKEN");
    const bad = await runGateway(["--tokens", "many"]);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe("");
    expect(bad.stderr).toContain("--tokens");
    const badEnv = await runGateway([], { MODELWIRE_MAX_STREAMS: "-1" });
    expect(badEnv.code).toBe(2);
    expect(badEnv.stderr).toContain("MODELWIRE_MAX_STREAMS");

    const gw = await start([]);
    const taken = new URL(gw.url("admin")).port;
    const clash = await runGateway([...FREE_PORTS, "--admin-port", taken]);
    expect(clash.code).toBe(1);
    expect(clash.stderr).toContain("--admin-port");
    expect(clash.stdout).toBe("");
    const noHost = await runGateway([...FREE_PORTS, "--host", "10.255.255.1"]);
    expect(noHost.code).toBe(1);
    expect(noHost.stderr).toContain("--host");
    const noSocket = await runGateway([...FREE_PORTS, "--mcp-socket", "/nonexistent-dir/mcp.sock"]);
    expect(noSocket.code).toBe(1);
    expect(noSocket.stderr).toContain("--mcp-socket");
    // Seven gateway processes one after another, each a Node start-up: 6 s at load 17 alone, past vitest's default
    // 20 s in a full run at load 15-26 (session 4). The 20 s guard of each runGateway still catches a hung one.
  }, 120_000);
});
