import { describe, expect, it } from "vitest";
import { ADDRESS_OF, CLIENT_KINDS, expectedGenerate, makeClient, runGenerate } from "./test-support/clients.js";
import { gatewaysAfterEach } from "./test-support/gateways.js";
import { parsePrometheus, sumOf } from "./test-support/prometheus.js";
import { runGateway, type SpawnedGateway } from "./test-support/spawn-gateway.js";

const { clients, start } = gatewaysAfterEach();

/** Waits until the gateway's stderr matches (the ready line on stdout may be read before stderr is). */
async function stderrOnce(gw: SpawnedGateway, pattern: RegExp): Promise<string> {
  const until = Date.now() + 10_000;
  while (!pattern.test(gw.stderr())) {
    if (Date.now() > until) throw new Error(`stderr never matched ${pattern}:\n${gw.stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return gw.stderr();
}

const json = { "content-type": "application/json" };
const auth = (t: string) => ({ authorization: `Bearer ${t}` });

const body = async (r: Response) => (await r.json()) as Record<string, any>;

function admin(gw: SpawnedGateway, headers: Record<string, string> = {}) {
  const base = gw.url("admin");
  return {
    get: (path: string) => fetch(`${base}${path}`, { headers }),
    post: (path: string, body?: unknown, extra: Record<string, string> = json) =>
      fetch(`${base}${path}`, {
        method: "POST",
        headers: { ...extra, ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
  };
}

describe("modelwire serve: the admin listener", () => {
  it("--auth-token guards /control/*; --admin-token replaces it there only; /healthz and loopback /metrics stay open", async () => {
    const gw = await start(["--auth-token", "t"]);
    for (const who of [admin(gw), admin(gw, auth("wrong"))]) {
      expect((await who.get("/control/stats")).status).toBe(401);
      expect((await who.post("/control/reset")).status).toBe(401);
      expect((await who.post("/control/engine", { tokens: 1 })).status).toBe(401);
    }
    expect((await admin(gw).get("/healthz")).status).toBe(200);
    expect((await admin(gw).get("/metrics")).status).toBe(200);
    const ok = admin(gw, auth("t"));
    expect((await ok.get("/control/stats")).status).toBe(200);
    expect((await ok.post("/control/engine", { tokens: 2 })).status).toBe(200);
    expect((await body(await ok.get("/control/stats"))).engineConfig.tokens).toBe(2);

    const split = await start(["--auth-token", "t", "--admin-token", "a", "--metrics-auth", "token"]);
    expect((await admin(split, auth("t")).get("/control/stats")).status).toBe(401);
    expect((await admin(split, auth("a")).get("/control/stats")).status).toBe(200);
    expect((await admin(split).get("/metrics")).status).toBe(401);
    expect((await admin(split, auth("a")).get("/metrics")).status).toBe(200);
    expect((await admin(split).get("/healthz")).status).toBe(200);
    // The protocols still take --auth-token, not the admin token.
    const c = makeClient("http", split.url(ADDRESS_OF.http), "t");
    clients.push(c);
    const req = { model: "synthetic", prompt: "protocol token" };
    expect((await runGenerate(c, req, expectedGenerate({}, req))).intact).toBe(true);
  });

  it("refuses a cross-site simple POST (text/plain with an Origin) and leaves the engine as it was", async () => {
    const gw = await start(["--tokens", "4"]);
    const a = admin(gw);
    let r = await a.post(
      "/control/engine",
      { tokens: 99 },
      { "content-type": "text/plain", origin: "https://evil.example" },
    );
    expect(r.status).toBe(403);
    r = await a.post("/control/engine", { tokens: 99 }, { ...json, origin: "https://evil.example" });
    expect(r.status).toBe(403);
    r = await a.post("/control/engine", { tokens: 99 }, { "content-type": "text/plain" });
    expect(r.status).toBe(415);
    expect((await body(await a.get("/control/stats"))).engineConfig.tokens).toBe(4);
    const allowed = await start(["--admin-origins", "http://127.0.0.1:8080"]);
    r = await admin(allowed).post("/control/engine", { tokens: 5 }, { ...json, origin: "http://127.0.0.1:8080" });
    expect(r.status).toBe(200);
  });

  it("answers an out-of-range knob with 400 naming it, and keeps streaming with the knobs in force", async () => {
    const gw = await start(["--tokens", "3"]);
    const a = admin(gw);
    for (const [key, value] of [
      ["interTokenMs", 1e308],
      ["ttftMs", 3_600_001],
      ["tokens", 1_000_001],
      ["jitter", 1],
      ["seed", 2 ** 32],
      ["interTokenMs", -1],
    ] as const) {
      const r = await a.post("/control/engine", { [key]: value });
      expect(r.status, key).toBe(400);
      expect(await r.json()).toMatchObject({ code: "invalid_argument", field: key });
    }
    const r = await a.post("/control/engine", { interTokenMs: 3_600_000, ttftMs: 0 });
    expect(r.status).toBe(200);
    expect((await a.post("/control/engine", { interTokenMs: 0 })).status).toBe(200);
    const c = makeClient(CLIENT_KINDS[0], gw.url(ADDRESS_OF[CLIENT_KINDS[0]]));
    clients.push(c);
    const req = { model: "synthetic", prompt: "after a refused knob" };
    expect((await runGenerate(c, req, expectedGenerate({ tokens: 3 }, req))).intact).toBe(true);
  });

  it("POST /control/reset restarts the stats window; Prometheus counters stay monotonic", async () => {
    const gw = await start(["--tokens", "5"]);
    const a = admin(gw);
    const c = makeClient("mcp", gw.url(ADDRESS_OF.mcp));
    clients.push(c);
    const req = { model: "synthetic", prompt: "count me" };
    const scrape = async () => parsePrometheus(await (await a.get("/metrics")).text());
    await runGenerate(c, req, expectedGenerate({ tokens: 5 }, req));
    expect((await body(await a.get("/control/stats"))).engine).toMatchObject({ requests: 1, tokens: 5 });
    expect((await a.post("/control/reset")).status).toBe(204);
    const after = await body(await a.get("/control/stats"));
    expect(after.engine).toMatchObject({ requests: 0, tokens: 0, cancelled: 0, errors: 0 });
    expect(after.windowMs).toBeGreaterThanOrEqual(0);
    let fams = await scrape();
    expect(sumOf(fams, "modelwire_engine_requests_total")).toBe(1);
    expect(sumOf(fams, "modelwire_engine_tokens_total")).toBe(5);
    await runGenerate(c, req, expectedGenerate({ tokens: 5 }, req));
    expect((await body(await a.get("/control/stats"))).engine).toMatchObject({ requests: 1, tokens: 5 });
    fams = await scrape();
    expect(sumOf(fams, "modelwire_engine_requests_total")).toBe(2);
    expect(sumOf(fams, "modelwire_engine_tokens_total")).toBe(10);
  });

  it("binds the admin listener to loopback whatever --host says, and warns on stderr (even --quiet) about open listeners", async () => {
    const open = await start(["--host", "0.0.0.0", "--no-http", "--no-connect", "--quiet"]);
    expect(new URL(open.url("admin")).hostname).toBe("127.0.0.1");
    expect(new URL(open.url("mcp-tcp")).hostname).toBe("0.0.0.0");
    // --quiet: the warning is printed all the same.
    const warnings = (await stderrOnce(open, /warning/)).split("\n").filter((l) => l.includes("warning"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/mcp-tcp listens on tcp:\/\/0\.0\.0\.0:\d+.*without a token/);
    // Warnings come before the "ready in" log line, so once it is there, absent warnings are absent.
    const guarded = await start(["--host", "0.0.0.0", "--no-http", "--no-connect", "--auth-token", "t"]);
    expect(await stderrOnce(guarded, /ready in/)).not.toContain("warning");
    const adminOpen = await start(["--no-http", "--no-connect", "--admin-host", "0.0.0.0"]);
    expect(await stderrOnce(adminOpen, /ready in/)).toMatch(/warning: admin listens on http:\/\/0\.0\.0\.0:\d+/);
    const loopback = await start([]);
    expect(await stderrOnce(loopback, /ready in/)).not.toContain("warning");
    const bad = await runGateway(["--metrics-auth", "token"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--metrics-auth");
  });
});
