import { request as httpRequest } from "node:http";
import { Code, invalidArgument, ModelwireError } from "@modelwire/core";
import { afterEach, describe, expect, it } from "vitest";
import { type AdminServer, createAdminServer } from "./admin.js";

let server: AdminServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

type Options = Parameters<typeof createAdminServer>[0];

async function start(overrides: Partial<Options["handlers"]> = {}, extra: Partial<Omit<Options, "handlers">> = {}) {
  const calls: string[] = [];
  let healthy = true;
  server = createAdminServer({
    host: "127.0.0.1",
    port: 0,
    maxBodyBytes: 1024,
    ...extra,
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

const JSON_HEADERS = { "content-type": "application/json" };
const post = (url: string, body?: string, headers: Record<string, string> = JSON_HEADERS) =>
  fetch(url, { method: "POST", body, headers });

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

    r = await post(`${base}/control/reset`);
    expect(r.status).toBe(204);
    r = await post(`${base}/control/reset`, "{}");
    expect(r.status).toBe(204);
    r = await post(`${base}/control/engine`, JSON.stringify({ tokens: 3 }));
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ tokens: 3 });
    expect(calls).toEqual(["reset", "reset", 'configure {"tokens":3}']);
  });

  it("answers bad input with a coded JSON error and the right status", async () => {
    const { base, calls } = await start();
    let r = await post(`${base}/control/engine`, "{nope");
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({ code: "invalid_argument", field: "body" });
    r = await post(`${base}/control/engine`, JSON.stringify({ tokens: "many" }));
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({ code: "invalid_argument", field: "tokens" });
    r = await post(`${base}/control/reset`, "[1]");
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({ code: "invalid_argument", field: "body" });
    r = await post(`${base}/control/engine`, "x".repeat(5000));
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
    const r = await post(`${base}/control/engine`, "{}");
    expect(r.status).toBe(409);
    expect(await r.json()).toMatchObject({ code: "failed_precondition", error: "upstream" });
  });
});

describe("admin listener lock-down", () => {
  const bearer = (t: string) => ({ ...JSON_HEADERS, authorization: `Bearer ${t}` });

  it("with a token, every /control/* route needs it; /healthz stays open", async () => {
    const { base, calls } = await start({}, { token: "adm1n" });
    for (const headers of [
      {},
      { authorization: "Bearer nope" },
      { authorization: "adm1n" },
      { authorization: "Basic adm1n" },
    ] as Record<string, string>[]) {
      let r = await fetch(`${base}/control/stats`, { headers });
      expect(r.status).toBe(401);
      expect(r.headers.get("www-authenticate")).toBe("Bearer");
      expect(await r.json()).toMatchObject({ code: "unauthenticated" });
      r = await post(`${base}/control/reset`, undefined, { ...JSON_HEADERS, ...headers });
      expect(r.status).toBe(401);
      r = await post(`${base}/control/engine`, JSON.stringify({ tokens: 2 }), { ...JSON_HEADERS, ...headers });
      expect(r.status).toBe(401);
    }
    expect(calls).toEqual([]);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    // Loopback: /metrics is open by default (auto).
    expect((await fetch(`${base}/metrics`)).status).toBe(200);

    let r = await fetch(`${base}/control/stats`, { headers: bearer("adm1n") });
    expect(r.status).toBe(200);
    r = await post(`${base}/control/reset`, undefined, bearer("adm1n"));
    expect(r.status).toBe(204);
    r = await post(`${base}/control/engine`, JSON.stringify({ tokens: 2 }), bearer("adm1n"));
    expect(r.status).toBe(200);
    expect(calls).toEqual(["reset", 'configure {"tokens":2}']);
  });

  it("/metrics follows metricsAuth: token requires it even on loopback, open never does", async () => {
    let { base } = await start({}, { token: "m", metricsAuth: "token" });
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: { authorization: "Bearer m" } })).status).toBe(200);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    await server?.close();
    ({ base } = await start({}, { token: "m", metricsAuth: "open" }));
    expect((await fetch(`${base}/metrics`)).status).toBe(200);
    expect(() =>
      createAdminServer({ host: "127.0.0.1", port: 0, metricsAuth: "token", handlers: {} as Options["handlers"] }),
    ).toThrow(/needs a token/);
  });

  it("auto: bound to every interface with a token, /metrics requires the token too", async () => {
    const { base } = await start({}, { host: "0.0.0.0", token: "m" });
    const local = base.replace("0.0.0.0", "127.0.0.1");
    expect((await fetch(`${local}/metrics`)).status).toBe(401);
    expect((await fetch(`${local}/metrics`, { headers: { authorization: "Bearer m" } })).status).toBe(200);
    expect((await fetch(`${local}/healthz`)).status).toBe(200);
  });

  it("refuses a cross-origin simple request (text/plain POST with an Origin) and any POST that is not JSON", async () => {
    const { base, calls } = await start({}, { allowedOrigins: ["http://127.0.0.1:9999"] });
    // What a web page can send without a preflight: a "simple" request.
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
      const r = await post(`${base}/control/engine`, JSON.stringify({ tokens: 1 }), {
        "content-type": type,
        origin: "https://evil.example",
      });
      expect(r.status).toBe(403);
      expect(await r.json()).toMatchObject({ code: "permission_denied" });
    }
    let r = await post(`${base}/control/reset`, undefined, { ...JSON_HEADERS, origin: "null" });
    expect(r.status).toBe(403);
    // No Origin, but not JSON: 415.
    r = await post(`${base}/control/engine`, JSON.stringify({ tokens: 1 }), { "content-type": "text/plain" });
    expect(r.status).toBe(415);
    expect(await r.json()).toMatchObject({ code: "invalid_argument", field: "content-type" });
    r = await fetch(`${base}/control/reset`, { method: "POST" });
    expect(r.status).toBe(415);
    expect(calls).toEqual([]);
    // An allowed origin, with JSON, passes.
    r = await post(`${base}/control/engine`, JSON.stringify({ tokens: 1 }), {
      "content-type": "application/json; charset=utf-8",
      origin: "http://127.0.0.1:9999",
    });
    expect(r.status).toBe(200);
    // State changes only through POST: GET and PUT on a mutating route are 405 and change nothing.
    for (const method of ["GET", "PUT", "DELETE"]) {
      r = await fetch(`${base}/control/engine`, { method, headers: JSON_HEADERS });
      expect(r.status).toBe(405);
    }
    expect(calls).toEqual(['configure {"tokens":1}']);
  });

  it("without a token, /control/* answers only a Host that is an IP address or localhost", async () => {
    const { base, calls } = await start();
    // fetch may not set Host; node:http may.
    const as = (host: string, path: string, method = "GET") =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest(`${base}${path}`, { method, headers: { host, ...JSON_HEADERS } }, (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        });
        req.on("error", reject);
        req.end();
      });
    expect(await as("rebind.example:11538", "/control/stats")).toBe(403);
    expect(await as("rebind.example:11538", "/control/reset", "POST")).toBe(403);
    expect(await as("rebind.example", "/healthz")).toBe(200);
    expect(await as("localhost:11538", "/control/stats")).toBe(200);
    expect(await as("[::1]:11538", "/control/stats")).toBe(200);
    expect(await as("127.0.0.1", "/control/reset", "POST")).toBe(204);
    expect(calls).toEqual(["reset"]);
  });
});
