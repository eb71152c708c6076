import type { ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { type LoopbackServer, listenLoopback } from "../test-support/listen.js";
import { createOpenAIClient, type OpenAIClient } from "./client.js";

let server: LoopbackServer | undefined;
let client: OpenAIClient | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
  client = server = undefined;
});

/**
 * A stand-in OpenAI server written from OpenAI's API reference (streamed completions and chat completions: one
 * event per chunk, the finish chunk, the usage chunk with empty `choices` that `stream_options.include_usage` asks
 * for, then `data: [DONE]`). It leaves each body open after `[DONE]` until the test ends it (`held`), as a server
 * whose HTTP/1.1 last chunk comes in a later write.
 */
async function openAIStandIn() {
  const held: ServerResponse[] = [];
  const server = await listenLoopback((req, res) => {
    const chat = req.url === "/v1/chat/completions";
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      const event = (choices: object[], extra: object = {}) =>
        `data: ${JSON.stringify({ id: "x1", object: chat ? "chat.completion.chunk" : "text_completion", created: 1, model: "m", choices, ...extra })}\n\n`;
      const choice = (content: string, finish: string | null) =>
        chat
          ? { index: 0, delta: content ? { content } : {}, finish_reason: finish }
          : { index: 0, text: content, finish_reason: finish };
      res.write(event([choice("hi", null)]));
      res.write(event([choice("", "stop")]));
      res.write(event([], { usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }));
      res.write("data: [DONE]\n\n");
      held.push(res);
    });
  });
  return { server, held };
}

describe("the OpenAI client's streamed calls", () => {
  it("a consumer that stops at the final chunk gets it at [DONE], before the body's end, and keeps the connection", async () => {
    const s = await openAIStandIn();
    server = s.server;
    client = createOpenAIClient({ baseUrl: `${server.url}/v1`, connections: 1, retries: 0 });
    const c = client;
    const calls = [
      () => c.chat({ model: "m", messages: [{ role: "user", content: "x" }] }),
      () => c.generate({ model: "m", prompt: "x" }),
    ];
    for (let i = 0; i < 8; i++) {
      let done = 0;
      for await (const chunk of calls[i % 2]()) {
        if (!chunk.done) continue;
        done++;
        // The final chunk comes from [DONE]: the server has not ended this body yet.
        expect(s.held.map((r) => r.writableEnded)).toEqual([false]);
        s.held.shift()?.end();
        break;
      }
      expect(done).toBe(1);
    }
    // Each reply was complete, so the one connection is reused, never closed as if the stream were abandoned.
    expect(server.connections()).toBe(1);
    expect(client.stats().opened).toBe(1);
  });

  it("keeps the connection when this process stalls past the drain limit while the body's end waits in the socket", async () => {
    const s = await openAIStandIn();
    server = s.server;
    client = createOpenAIClient({ baseUrl: `${server.url}/v1`, connections: 1, retries: 0 });
    for (let i = 0; i < 2; i++) {
      const it = client.chat({ model: "m", messages: [{ role: "user", content: "x" }] })[Symbol.asyncIterator]();
      let r = await it.next();
      while (!r.done && !r.value.done) r = await it.next();
      expect(r.done).toBe(false);
      // Read on past the final chunk: the client starts reading the body's end, with its drain limit (1 s) armed.
      const end = it.next();
      await new Promise((r) => setImmediate(r));
      s.held.shift()?.end();
      // The event loop blocked for longer than that limit (GC, a starved CPU), the body's end already in the socket:
      // when it runs again the expired timer comes before the socket is read, and must not cut the connection.
      const until = performance.now() + 1_200;
      while (performance.now() < until) {}
      expect((await end).done).toBe(true);
    }
    expect(server.connections()).toBe(1);
  });
});
