/**
 * Issue 15, item 7: a real browser client. A page served by the test from another origin, loaded in headless
 * Chromium (Debian's `chromium`), streams replies from the gateway with `fetch` (Ollama's NDJSON and the
 * OpenAI-compatible SSE) and with `@connectrpc/connect-web` over the Connect protocol and gRPC-Web, sending the
 * bearer token; the streamed texts must equal the synthetic engine's expected output. The same page from an origin
 * the gateway does not allow is refused by the browser on every wire. Without Chromium the test is skipped, except
 * in CI (`CI=true`), where it fails (`.ci/run` installs the package).
 */
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { create } from "@bufbuild/protobuf";
import { ChatRequestSchema, GenerateRequestSchema } from "@modelwire/core";
import { createSyntheticEngine } from "@modelwire/engine";
import { openInChromium, requireChromium } from "@modelwire/test-kit/chromium";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Gateway, startGateway } from "./index.js";
import type { Outcome } from "./test-support/browser-page.js";

const KNOBS = { seed: 4, tokens: 7 };
const TOKEN = "br0wser-t0ken";
const PROMPT = "tell the browser a story";
/** A name Chromium resolves to 127.0.0.1 (`--host-resolver-rules`): an origin the gateway does not allow. */
const FOREIGN = "page.example.test";

let gw: Gateway;
let pages: Server;
let script = "";
const waiting = new Map<string, (r: Record<string, Outcome>) => void>();

beforeAll(async () => {
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL("./test-support/browser-page.ts", import.meta.url))],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  script = bundle.outputFiles[0].text;
  gw = await startGateway({ httpPort: 0, connectPort: 0, mcp: false, admin: false, authToken: TOKEN, ...KNOBS });
  // The page's own origin: it serves the page and its script, and takes the page's report.
  pages = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://page");
    if (req.method === "GET" && url.pathname === "/") {
      res.writeHead(200, { "content-type": "text/html" });
      res.end(`<!doctype html><title>modelwire</title><script type="module" src="/page.js${url.search}"></script>`);
    } else if (req.method === "GET" && url.pathname === "/page.js") {
      res.writeHead(200, { "content-type": "text/javascript" });
      res.end(script);
    } else if (req.method === "POST" && url.pathname === "/result") {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (d) => (body += d));
      req.on("end", () => {
        res.writeHead(204).end();
        waiting.get(req.headers.host ?? "")?.(JSON.parse(body));
      });
    } else {
      res.writeHead(404).end();
    }
  });
  pages.listen(0, "127.0.0.1");
  await once(pages, "listening");
}, 60_000);

afterAll(async () => {
  pages?.close();
  await gw?.close({ graceMs: 0 });
});

/** Loads the page from `host` in Chromium and returns what it reported. */
async function runPage(host: string): Promise<Record<string, Outcome>> {
  const port = (pages.address() as AddressInfo).port;
  const query = new URLSearchParams({
    http: gw.url("http")!,
    connect: gw.url("connect")!,
    token: TOKEN,
    prompt: PROMPT,
  });
  const reported = new Promise<Record<string, Outcome>>((resolve) => waiting.set(`${host}:${port}`, resolve));
  const browser = await openInChromium(`http://${host}:${port}/?${query}`, [
    `--host-resolver-rules=MAP ${FOREIGN} 127.0.0.1`,
  ]);
  try {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the page at ${host} reported nothing in 90 s`)), 90_000);
    });
    try {
      return await Promise.race([reported, browser.exited.then(() => timeout), timeout]);
    } finally {
      clearTimeout(timer);
    }
  } finally {
    waiting.delete(`${host}:${port}`);
    await browser.close();
  }
}

describe("a web page in headless Chromium", () => {
  it("from an allowed origin streams the expected text over NDJSON, SSE, Connect and gRPC-Web", async (ctx) => {
    requireChromium(ctx);
    const engine = createSyntheticEngine(KNOBS);
    const generate = engine.expectedGenerate(create(GenerateRequestSchema, { model: "synthetic", prompt: PROMPT }));
    const chat = engine.expectedChat(
      create(ChatRequestSchema, { model: "synthetic", messages: [{ role: "user", content: PROMPT }] }),
    );
    expect(generate).toHaveLength(KNOBS.tokens);
    // 127.0.0.1 on the page server's port: another origin than either gateway port, allowed by Ollama's defaults.
    const r = await runPage("127.0.0.1");
    expect(r.ndjson).toEqual({ ok: true, chunks: generate });
    expect(r.sse).toEqual({ ok: true, chunks: chat });
    expect(r.connect).toEqual({ ok: true, chunks: generate });
    expect(r.grpcWeb).toEqual({ ok: true, chunks: generate });
  }, 120_000);

  it("from an origin the gateway does not allow is refused by the browser on every wire", async (ctx) => {
    requireChromium(ctx);
    const r = await runPage(FOREIGN);
    for (const wire of ["ndjson", "sse", "connect", "grpcWeb"] as const) {
      expect(r[wire].ok, wire).toBe(false);
      // fetch's network error: the browser withheld a response without CORS headers.
      expect(r[wire].ok === false && r[wire].error, wire).toMatch(/Failed to fetch|TypeError/);
    }
  }, 120_000);
});
