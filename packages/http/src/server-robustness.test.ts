import { Ollama } from "ollama";
import { afterEach, describe, expect, it } from "vitest";
import { eventually, type Harness, startHarness } from "./test-support/harness.js";
import { rawExchange } from "./test-support/raw-http.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

function post(path: string, body: string, extra = "Connection: close\r\n") {
  return `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;
}

function errorOf(body: string): { error: string; code?: string } {
  const parsed = JSON.parse(body) as { error: string; code?: string };
  expect(typeof parsed.error).toBe("string");
  return parsed;
}

/** After any abuse, the server must still answer a normal request. */
async function stillServes(url: string) {
  const r = await fetch(`${url}/api/version`);
  expect(r.status).toBe(200);
  expect(((await r.json()) as { version: string }).version).toBeTruthy();
}

describe("bad input never crashes or hangs the server", () => {
  it("invalid JSON, truncated JSON, a missing body and a non-object body are 400 with Ollama's error shape", async () => {
    h = await startHarness();
    const cases: Array<[string, RegExp]> = [
      ['{"model": "synthetic", "prompt": ', /unexpected EOF/],
      ["{nope}", /invalid JSON/],
      ["", /missing request body/],
      ["[1,2]", /JSON object/],
      ['{"model": "synthetic", "prompt": 7}', /prompt/],
      ['{"model": "synthetic", "keep_alive": "whenever"}', /keep_alive/],
      [`{"model": "synthetic", "format": ${'{"a":'.repeat(5000)}1${"}".repeat(5000)}}`, /nesting/],
    ];
    for (const [body, message] of cases) {
      const r = await rawExchange(h.url, [post("/api/generate", body)]);
      expect(r.status, body).toBe(400);
      expect(r.headers["content-type"]).toMatch(/application\/json/);
      expect(errorOf(r.body).error).toMatch(message);
    }
    await stillServes(h.url);
  });

  it("an oversized body is refused with 413 at once, declared or chunked, and the connection is closed", async () => {
    h = await startHarness({}, { maxBodyBytes: 1024 });
    const big = JSON.stringify({ model: "synthetic", prompt: "x".repeat(4096) });
    const declared = await rawExchange(h.url, [post("/api/generate", big, "")]);
    expect(declared.status).toBe(413);
    expect(errorOf(declared.body).code).toBe("resource_exhausted");
    expect(declared.closedByServer).toBe(true);
    const chunk = (s: string) => `${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`;
    const chunked = await rawExchange(h.url, [
      "POST /api/chat HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
      chunk(big.slice(0, 800)),
      chunk(big.slice(800, 1600)),
      chunk(big.slice(1600)),
      "0\r\n\r\n",
    ]);
    expect(chunked.status).toBe(413);
    expect(chunked.closedByServer).toBe(true);
    await stillServes(h.url);
  });

  it("a truncated body (fewer bytes than Content-Length) times out with 408 instead of hanging", async () => {
    h = await startHarness({}, { bodyTimeoutMs: 300 });
    const head = `POST /api/generate HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"model":"synth`;
    const r = await rawExchange(h.url, [head]);
    expect(r.status).toBe(408);
    expect(errorOf(r.body).code).toBe("deadline_exceeded");
    expect(r.closedByServer).toBe(true);
    expect(await eventually(() => h!.server.stats().inFlight === 0)).toBe(true);
    await stillServes(h.url);
  });

  it("a client that leaves mid-body is cleaned up", async () => {
    h = await startHarness();
    const { connect } = await import("node:net");
    const { port } = new URL(h.url);
    const s = connect({ host: "127.0.0.1", port: Number(port) });
    s.on("error", () => {});
    await new Promise((r) => s.once("connect", r));
    s.write(`POST /api/generate HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"model"`);
    expect(await eventually(() => h!.server.stats().inFlight === 1)).toBe(true);
    s.destroy();
    expect(await eventually(() => h!.server.stats().inFlight === 0 && h!.server.stats().connections === 0)).toBe(true);
    await stillServes(h.url);
  });

  it("a trickled body (slow loris) is cut off with 408", async () => {
    h = await startHarness({}, { bodyTimeoutMs: 400 });
    const body = JSON.stringify({ model: "synthetic", prompt: "slow" });
    const parts = [
      `POST /api/generate HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`,
      ...body.split(""),
    ];
    const r = await rawExchange(h.url, parts, { gapMs: 60 });
    expect(r.status).toBe(408);
    expect(r.closedByServer).toBe(true);
    // The 400 ms limit cut the ~2 s trickle off: the server answered before the client had sent it all (counted
    // in parts, not milliseconds, so a loaded machine cannot make it pass or fail).
    expect(r.partsSent).toBeLessThan(parts.length);
  });

  it("trickled headers (slow loris) are cut off by the headers timeout with 408", async () => {
    h = await startHarness({}, { headersTimeoutMs: 400, requestTimeoutMs: 800 });
    const header = `GET /api/version HTTP/1.1\r\nHost: x\r\nX-Slow: ${"a".repeat(200)}`;
    const r = await rawExchange(h.url, header.split(""), { gapMs: 40 });
    expect(r.closedByServer).toBe(true);
    expect(r.status).toBe(408);
    expect(errorOf(r.body).error).toMatch(/timeout/);
    await stillServes(h.url);
  });

  it("unknown routes are 404 and wrong methods 405, both in Ollama's error shape", async () => {
    h = await startHarness();
    const unknown = await fetch(`${h.url}/api/pull-the-plug`, { method: "POST", body: "{}" });
    expect(unknown.status).toBe(404);
    expect(errorOf(await unknown.text()).error).toBe("404 page not found");
    const wrong = await fetch(`${h.url}/api/generate`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("POST");
    errorOf(await wrong.text());
    const del = await fetch(`${h.url}/api/tags`, { method: "DELETE" });
    expect(del.status).toBe(405);
    const rootPost = await fetch(`${h.url}/`, { method: "POST", body: "x" });
    expect(rootPost.status).toBe(405);
    await stillServes(h.url);
  });

  it("a malformed request line gets 400 in the error shape and the connection closes", async () => {
    h = await startHarness();
    const r = await rawExchange(h.url, ["NOT HTTP AT ALL\r\n\r\n"]);
    expect(r.status).toBe(400);
    errorOf(r.body);
    expect(r.closedByServer).toBe(true);
    const huge = await rawExchange(h.url, [`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"b".repeat(40_000)}\r\n\r\n`]);
    expect(huge.status).toBe(431);
    await stillServes(h.url);
  });

  it("maxConnections: one connection more gets 503 resource_exhausted naming the cap and is closed; recovers", async () => {
    h = await startHarness({}, { maxConnections: 1 });
    const { connect } = await import("node:net");
    const { port } = new URL(h.url);
    const first = connect({ host: "127.0.0.1", port: Number(port) });
    first.on("error", () => {});
    await new Promise((r) => first.once("connect", r));
    expect(await eventually(() => h!.server.stats().connections === 1)).toBe(true);
    const refused = await rawExchange(h.url, ["GET /api/version HTTP/1.1\r\nHost: x\r\n\r\n"], { waitMs: 3_000 });
    expect(refused.status).toBe(503);
    const refusedError = errorOf(refused.body);
    expect(refusedError.code).toBe("resource_exhausted");
    expect(refusedError.error).toMatch(/too many connections on this port \(limit 1, maxConnections\)/);
    expect(refused.closedByServer).toBe(true);
    expect(h.server.stats().refused).toBe(1);
    first.destroy();
    expect(await eventually(() => h!.server.stats().connections === 0)).toBe(true);
    await stillServes(h.url);
  });

  it("the ollama npm client past maxConnectionsPerClient gets a 503 naming the cap; others from it still serve", async () => {
    h = await startHarness({}, { maxConnectionsPerClient: 2 });
    const { connect } = await import("node:net");
    const { port } = new URL(h.url);
    const held = [0, 1].map(() => connect({ host: "127.0.0.1", port: Number(port) }).on("error", () => {}));
    expect(await eventually(() => h!.server.stats().connections === 2)).toBe(true);
    const ollama = new Ollama({ host: h.url });
    const err = (await ollama.list().catch((e: unknown) => e)) as { status_code?: number; error?: string };
    expect(err.status_code).toBe(503);
    expect(err.error).toMatch(/too many connections from 127\.0\.0\.1 on this port.*maxConnectionsPerClient/);
    for (const s of held) s.destroy();
    expect(await eventually(() => h!.server.stats().connections === 0)).toBe(true);
    expect((await new Ollama({ host: h.url }).list()).models.length).toBeGreaterThan(0);
  });

  it("keeps a connection alive across requests, including after an error response", async () => {
    h = await startHarness();
    const keep = "";
    const r = await rawExchange(
      h.url,
      [post("/api/show", '{"model":"nope"}', keep), post("/api/show", '{"model":"synthetic"}', keep)],
      { stopAfterResponse: false, waitMs: 1500 },
    );
    expect(r.status).toBe(404);
    expect(r.closedByServer).toBe(false);
    expect(r.raw.match(/HTTP\/1\.1 \d+/g)).toEqual(["HTTP/1.1 404", "HTTP/1.1 200"]);
    expect(h.server.stats().bytesOut).toBeGreaterThan(200);
  });

  it("a burst of garbage from the ollama client's point of view: the server keeps serving", async () => {
    h = await startHarness();
    const junk = await Promise.all(
      Array.from({ length: 20 }, (_, i) => rawExchange(h!.url, [post("/api/chat", "{".repeat(i + 1))])),
    );
    expect(junk.every((r) => r.status === 400)).toBe(true);
    const ollama = new Ollama({ host: h.url });
    expect((await ollama.list()).models.length).toBeGreaterThan(0);
  });
});
