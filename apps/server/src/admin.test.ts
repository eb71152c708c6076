import { Code, invalidArgument, ModelwireError } from "@modelwire/core";
import { afterEach, describe, expect, it } from "vitest";
import { type AdminServer, createAdminServer } from "./admin.js";

let server: AdminServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(overrides: Partial<Parameters<typeof createAdminServer>[0]["handlers"]> = {}) {
  const calls: string[] = [];
  let healthy = true;
  server = createAdminServer({
    host: "127.0.0.1",
    port: 0,
    maxBodyBytes: 1024,
    handlers: {
      healthy: () => healthy,
      metrics: async () => ({ contentType: "text/plain; version=0.0.4", body: "# TYPE x gauge\nx 1\n" }),
      stats: () => ({ pid: 1 }),
      reset: () => calls.push("reset"),
      configureEngine: (body) => {
        const b = body as Record<string, unknown>;
        if (typeof body !== "object" || body === null) throw invalidArgument("body", "must be an object");
        if ("tokens" in b && typeof b.tokens !== "number") throw invalidArgument("tokens", "tokens must be a number");
        calls.push(`configure ${JSON.stringify(body)}`);
        return { tokens: b.tokens ?? 16 };
      },
      ...overrides,
    },
  });
  const [addr] = await server.listen();
  expect(addr.protocol).toBe("admin");
  return { base: addr.url, calls, setHealthy: (v: boolean) => (healthy = v) };
}

describe("admin listener", () => {
  it("serves health, metrics, stats, reset and engine knobs", async () => {
    const { base, calls, setHealthy } = await start();
    let r = await fetch(`${base}/healthz`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ status: "ok" });
    setHealthy(false);
    r = await fetch(`${base}/healthz`);
    expect(r.status).toBe(503);
    expect(await r.json()).toEqual({ status: "draining" });

    r = await fetch(`${base}/metrics`);
    expect(r.headers.get("content-type")).toContain("version=0.0.4");
    expect(await r.text()).toBe("# TYPE x gauge\nx 1\n");
    r = await fetch(`${base}/control/stats`);
    expect(await r.json()).toEqual({ pid: 1 });

    r = await fetch(`${base}/control/reset`, { method: "POST" });
    expect(r.status).toBe(204);
    r = await fetch(`${base}/control/engine`, { method: "POST", body: JSON.stringify({ tokens: 3 }) });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ tokens: 3 });
    expect(calls).toEqual(["reset", 'configure {"tokens":3}']);
  });

  it("answers bad input with a coded JSON error and the right status", async () => {
    const { base, calls } = await start();
    let r = await fetch(`${base}/control/engine`, { method: "POST", body: "{nope" });
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({ code: "invalid_argument", field: "body" });
    r = await fetch(`${base}/control/engine`, { method: "POST", body: JSON.stringify({ tokens: "many" }) });
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({ code: "invalid_argument", field: "tokens" });
    r = await fetch(`${base}/control/engine`, { method: "POST", body: "x".repeat(5000) });
    expect(r.status).toBe(413);
    r = await fetch(`${base}/control/reset`);
    expect(r.status).toBe(405);
    expect(r.headers.get("allow")).toBe("POST");
    r = await fetch(`${base}/nope`);
    expect(r.status).toBe(404);
    expect(await r.json()).toMatchObject({ code: "not_found" });
    expect(calls).toEqual([]);
  });

  it("maps FailedPrecondition (upstream mode) to 409", async () => {
    const { base } = await start({
      configureEngine: () => {
        throw new ModelwireError("upstream", Code.FailedPrecondition);
      },
    });
    const r = await fetch(`${base}/control/engine`, { method: "POST", body: "{}" });
    expect(r.status).toBe(409);
    expect(await r.json()).toMatchObject({ code: "failed_precondition", error: "upstream" });
  });
});
