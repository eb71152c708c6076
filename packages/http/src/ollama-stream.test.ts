import type { Engine, GenerateResponse } from "@modelwire/core";
import { createUpstreamEngine } from "@modelwire/engine";
import { afterEach, describe, expect, it } from "vitest";
import { createOllamaClient } from "./ollama-client.js";
import { createOllamaServer } from "./ollama-server.js";
import { type Harness, startHarness } from "./test-support/harness.js";
import { listenLoopback } from "./test-support/listen.js";

let h: Harness | undefined;
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await h?.stop();
  h = undefined;
  for (const c of closers.splice(0).reverse()) await c();
});

/**
 * A stand-in for Ollama's `POST /api/generate` (NDJSON, per Ollama's docs/api.md): two content lines and the final
 * `done: true` line, then the chunked body's end 20 ms later, as it can arrive in its own packet. Counts connections.
 */
async function standIn() {
  const server = await listenLoopback((req, res) => {
    req.resume();
    req.on("end", () => {
      const line = (o: object) => `${JSON.stringify({ model: "m", created_at: "2026-12-01T00:00:00Z", ...o })}\n`;
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      res.write(line({ response: "a", done: false }) + line({ response: "b", done: false }));
      res.write(line({ response: "", done: true, done_reason: "stop", eval_count: 2 }));
      setTimeout(() => res.end(), 20);
    });
  });
  closers.push(server.close);
  return server;
}

/**
 * The engine's generate stream, recording whether its `finally` ran (an upstream engine releases its upstream
 * request, connection and slot there) and whether anything asked for more after the final chunk.
 */
function tracked() {
  const seen = { opened: 0, closed: 0, pulledPastFinal: 0 };
  const wrap = (engine: Engine): Engine => ({
    ...engine,
    generate: (req, ctx) =>
      (async function* (): AsyncGenerator<GenerateResponse> {
        seen.opened++;
        try {
          for await (const c of engine.generate(req, ctx)) {
            yield c;
            if (c.done) {
              seen.pulledPastFinal++;
              // An upstream whose body has not ended yet: the server must close this, not wait for it.
              await new Promise(() => {});
            }
          }
        } finally {
          seen.closed++;
        }
      })(),
  });
  return { seen, wrap };
}

describe("sendStream closes the engine's stream once the reply is complete", () => {
  it.each([
    ["streamed NDJSON", { model: "synthetic", prompt: "close me" }],
    ["stream: false", { model: "synthetic", prompt: "close me", stream: false }],
    ["a load reply (answered alone)", { model: "synthetic", prompt: "" }],
  ])("%s: the engine stream's finally runs and nothing pulls past the final chunk", async (_, body) => {
    const { seen, wrap } = tracked();
    h = await startHarness({ tokens: 5, interTokenMs: 0 }, {}, wrap);
    const res = await fetch(`${h.url}/api/generate`, { method: "POST", body: JSON.stringify(body) });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('"done":true');
    expect(seen.opened).toBe(1);
    expect(seen.closed).toBe(1);
    expect(seen.pulledPastFinal).toBe(0);
  });
});

describe("an upstream engine behind the server", () => {
  it("keeps its upstream connection: the server stops at the final chunk before the upstream body's end", async () => {
    const up = await standIn();
    const client = createOllamaClient({ host: up.url, connections: 1, retries: 0 });
    const server = createOllamaServer({ engine: createUpstreamEngine(client) });
    closers.push(() => client.close());
    const [address] = await server.listen();
    closers.push(() => server.close({ graceMs: 100 }));
    for (let i = 0; i < 4; i++) {
      for (const stream of [true, false]) {
        const res = await fetch(`${address.url}/api/generate`, {
          method: "POST",
          body: JSON.stringify({ model: "m", prompt: "p", stream }),
        });
        const text = await res.text();
        expect(res.status).toBe(200);
        expect(text).toContain('"done":true');
      }
    }
    // The reply was complete each time, so the upstream connection is reused, not closed as if abandoned.
    expect(client.stats().opened).toBe(1);
    expect(up.connections()).toBe(1);
  });
});
