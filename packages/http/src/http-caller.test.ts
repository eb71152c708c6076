import { testTls } from "@modelwire/test-kit";
import { afterEach, describe, expect, it } from "vitest";
import { createOllamaClient } from "./ollama-client.js";
import { createOpenAIClient } from "./openai/client.js";
import { listenLoopback } from "./test-support/listen.js";

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function httpsTags(): Promise<string> {
  const body = JSON.stringify({ models: [{ name: "m:latest", model: "m:latest" }] });
  const server = await listenLoopback((_req, res) => {
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  }, testTls);
  closers.push(() => server.close());
  return server.url;
}

describe("HTTP client transport layer", () => {
  it("trusts a private CA for https:// and counts the bytes its sockets moved", async () => {
    const url = await httpsTags();
    const client = createOllamaClient({ host: url, tls: { ca: testTls.ca }, retries: 0 });
    closers.push(() => client.close());
    const list = await client.list();
    expect(list.models[0].name).toBe("m:latest");
    const extra = client.stats().extra ?? {};
    expect(client.stats().opened).toBe(1);
    // The request line and headers went out, the TLS handshake and the reply came in.
    expect(Number(extra.bytesOut)).toBeGreaterThan(50);
    expect(Number(extra.bytesIn)).toBeGreaterThan(Buffer.byteLength('{"models":[]}'));
  });

  it("refuses a server whose certificate it cannot verify", async () => {
    const url = await httpsTags();
    const client = createOllamaClient({ host: url, retries: 0 });
    closers.push(() => client.close());
    await expect(client.list()).rejects.toThrow(/certificate|self.signed|issuer/i);
  });

  it("keeps the connection of a stream read to its end when the body's end comes after the final chunk", async () => {
    // The final line (done: true, or OpenAI's [DONE]) goes out, and the chunked body's terminator 20 ms later, as it
    // can arrive in its own packet on a busy machine. Leaving the body then must not cost the connection, also
    // after a long body.
    const server = await listenLoopback((req, res) => {
      req.resume();
      req.on("end", () => {
        const at = "2026-12-01T00:00:00Z";
        if (req.url === "/api/generate") {
          res.writeHead(200, { "content-type": "application/x-ndjson" });
          // Past undici's default dump limit (128 KiB), which counts the whole body.
          const long = "a".repeat(200 * 1024);
          res.write(`${JSON.stringify({ model: "m", created_at: at, response: long, done: false })}\n`);
          res.write(
            `${JSON.stringify({ model: "m", created_at: at, response: "", done: true, done_reason: "stop" })}\n`,
          );
        } else {
          res.writeHead(200, { "content-type": "text/event-stream" });
          const chunk = (text: string, finish: string | null) =>
            `data: ${JSON.stringify({ id: "c", object: "text_completion", created: 0, model: "m", choices: [{ index: 0, text, finish_reason: finish }] })}\n\n`;
          res.write(chunk("a", null) + chunk("", "stop"));
          res.write("data: [DONE]\n\n");
        }
        setTimeout(() => res.end(), 20);
      });
    });
    closers.push(server.close);
    const url = server.url;
    const ollama = createOllamaClient({ host: url, connections: 1, retries: 0 });
    const openai = createOpenAIClient({ baseUrl: `${url}/v1`, connections: 1, retries: 0 });
    closers.push(
      () => ollama.close(),
      () => openai.close(),
    );
    for (let i = 0; i < 4; i++) {
      const texts: string[] = [];
      for await (const c of ollama.generate({ model: "m", prompt: "p" })) texts.push(c.response);
      expect(texts).toEqual(["a".repeat(200 * 1024), ""]);
      let text = "";
      for await (const c of openai.generate({ model: "m", prompt: "p" })) text += c.response;
      expect(text).toBe("a");
    }
    expect(ollama.stats().opened).toBe(1);
    expect(openai.stats().opened).toBe(1);
    expect(server.connections()).toBe(2);
  });

  it("a stream left before its end closes its connection quietly, and the next call gets a new one", async () => {
    // A reply that never ends by itself: a chunk every 10 ms.
    const server = await listenLoopback((req, res) => {
      req.resume();
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      const line = `${JSON.stringify({ model: "m", created_at: "2026-12-01T00:00:00Z", response: "a", done: false })}\n`;
      const t = setInterval(() => res.write(line), 10);
      res.on("close", () => clearInterval(t));
    });
    closers.push(server.close);
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown) => uncaught.push(e);
    process.on("uncaughtException", onUncaught);
    closers.push(async () => {
      process.off("uncaughtException", onUncaught);
    });
    const client = createOllamaClient({
      host: server.url,
      connections: 1,
      retries: 0,
    });
    closers.push(() => client.close());
    for (let i = 0; i < 3; i++) {
      let n = 0;
      for await (const _ of client.generate({ model: "m", prompt: "p" })) if (++n === 2) break;
      expect(n).toBe(2);
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(uncaught).toEqual([]);
    // Each abandoned body took its connection with it: every call needed a new one.
    expect(client.stats().opened).toBeGreaterThanOrEqual(3);
  });
});
