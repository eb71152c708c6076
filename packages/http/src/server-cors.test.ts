/**
 * CORS on the HTTP port, as Ollama answers browsers (gin-contrib/cors with `OLLAMA_ORIGINS`), checked with raw
 * HTTP (undici), since a browser's headers are what matters here: preflights are answered before the token check,
 * actual requests still need the token and carry the headers, a disallowed origin is 403 without CORS headers.
 */
import { create } from "@bufbuild/protobuf";
import { GenerateRequestSchema, parseOriginList } from "@modelwire/core";
import { Ollama } from "ollama";
import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { HTTP_CORS_ALLOW_HEADERS } from "./server-cors.js";
import { type Harness, startHarness } from "./test-support/harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const PAGE = "http://localhost:5173";
const TOKEN = "s3cret";

async function send(path: string, method: "GET" | "POST" | "OPTIONS", headers: Record<string, string>, body?: string) {
  const r = await request(`${h!.url}${path}`, { method, headers, body });
  return { status: r.statusCode, headers: r.headers, text: await r.body.text() };
}

function preflight(path: string, origin: string, method = "POST") {
  return send(path, "OPTIONS", {
    origin,
    "access-control-request-method": method,
    "access-control-request-headers": "authorization, content-type",
  });
}

describe("CORS on the HTTP port", () => {
  it("answers a preflight from Ollama's default origins with 204 and the headers, without the token", async () => {
    h = await startHarness({ tokens: 3 }, { authToken: TOKEN });
    for (const origin of [PAGE, "https://127.0.0.1:8443", "http://0.0.0.0", "app://obsidian.md"]) {
      const r = await preflight("/api/generate", origin);
      expect(r.status, origin).toBe(204);
      expect(r.headers["access-control-allow-origin"]).toBe(origin);
      expect(r.headers["access-control-allow-methods"]).toBe("POST, OPTIONS");
      expect(String(r.headers["access-control-allow-headers"]).split(", ")).toEqual([...HTTP_CORS_ALLOW_HEADERS]);
      expect(r.headers.vary).toContain("Origin");
      expect(r.text).toBe("");
    }
    const tags = await preflight("/api/tags", PAGE, "GET");
    expect(tags.headers["access-control-allow-methods"]).toBe("GET, HEAD, OPTIONS");
    const openai = await preflight("/v1/chat/completions", PAGE);
    expect(openai.status).toBe(204);
    expect(String(openai.headers["access-control-allow-headers"])).toContain("x-stainless-os");
  });

  it("an actual request still needs the token, and every answer to an allowed origin carries the headers", async () => {
    h = await startHarness({ tokens: 3 }, { authToken: TOKEN });
    const body = JSON.stringify({ model: "synthetic", prompt: "hi", stream: false });
    const refused = await send("/api/generate", "POST", { origin: PAGE, "content-type": "application/json" }, body);
    expect(refused.status).toBe(401);
    expect(refused.headers["access-control-allow-origin"]).toBe(PAGE);
    expect(JSON.parse(refused.text)).toMatchObject({ error: "unauthorized" });
    const ok = await send(
      "/api/generate",
      "POST",
      { origin: PAGE, "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
      body,
    );
    expect(ok.status).toBe(200);
    expect(ok.headers["access-control-allow-origin"]).toBe(PAGE);
    expect(ok.headers.vary).toBe("Origin");
    expect(JSON.parse(ok.text)).toMatchObject({
      done: true,
      response: h.engine.expectedGenerate(create(GenerateRequestSchema, { model: "synthetic", prompt: "hi" })).join(""),
    });
  });

  it("a disallowed origin is 403 permission_denied with no CORS headers, and nothing runs", async () => {
    h = await startHarness({ tokens: 3 });
    for (const origin of ["https://evil.example", "http://localhost.evil.example", "null", "http://[::1]:5173"]) {
      const pre = await preflight("/api/generate", origin);
      expect(pre.status, origin).toBe(403);
      expect(pre.headers["access-control-allow-origin"]).toBeUndefined();
      expect(JSON.parse(pre.text)).toMatchObject({ code: "permission_denied" });
      const body = JSON.stringify({ model: "synthetic", prompt: "hi", stream: false });
      const actual = await send("/api/generate", "POST", { origin, "content-type": "application/json" }, body);
      expect(actual.status).toBe(403);
      expect(actual.headers["access-control-allow-origin"]).toBeUndefined();
    }
    expect(h.engine.stats().requests).toBe(0);
  });

  it("--origins adds to the defaults with OLLAMA_ORIGINS semantics; * allows every origin", async () => {
    h = await startHarness({}, { origins: parseOriginList("https://app.example, https://*.corp.example") });
    for (const [origin, status] of [
      ["https://app.example", 204],
      ["https://wiki.corp.example", 204],
      ["http://app.example", 403],
      [PAGE, 204],
    ] as const) {
      expect((await preflight("/api/chat", origin)).status, origin).toBe(status);
    }
    await h.stop();
    h = await startHarness({}, { origins: parseOriginList("*") });
    const any = await preflight("/api/chat", "https://anything.example");
    expect(any.status).toBe(204);
    expect(any.headers["access-control-allow-origin"]).toBe("*");
    expect(any.headers.vary).toBeUndefined();
  });

  it("requests without Origin, and same-origin ones, are served as before; unknown paths get no CORS", async () => {
    h = await startHarness({ tokens: 2 });
    const plain = await send("/api/tags", "GET", {});
    expect(plain.status).toBe(200);
    expect(plain.headers["access-control-allow-origin"]).toBeUndefined();
    const host = new URL(h.url).host;
    const same = await send("/api/tags", "GET", { origin: `http://${host}` });
    expect(same.status).toBe(200);
    expect(same.headers["access-control-allow-origin"]).toBeUndefined();
    expect((await send("/api/tags", "OPTIONS", {})).status).toBe(405);
    const unknown = await preflight("/nope", PAGE);
    expect(unknown.status).toBe(404);
    expect(unknown.headers["access-control-allow-origin"]).toBeUndefined();
    // The ollama npm client (no Origin) is unaffected.
    expect((await new Ollama({ host: h.url }).list()).models.length).toBeGreaterThan(0);
  });
});
