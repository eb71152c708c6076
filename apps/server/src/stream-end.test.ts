import { connect as h2connect } from "node:http2";
import { type Socket, connect as tcpConnect } from "node:net";
import { create, toBinary } from "@bufbuild/protobuf";
import { GenerateRequestSchema } from "@modelwire/core";
import { createMcpClient } from "@modelwire/mcp";
import { plateau, until } from "@modelwire/test-kit";
import { afterEach, describe, expect, it } from "vitest";
import { type Gateway, startGateway } from "./index.js";

/**
 * A client that goes away mid-stream is one cancellation in the engine's counters on every wire, however the server
 * learns it: the engine's own wait seeing the signal, or the server seeing the connection gone while it writes (or
 * waits for the socket to drain) and returning the engine's stream with no `next()` pending. The second case is the
 * one these tests force: the client stops reading, so the server blocks on backpressure with the engine idle, and
 * only then does the client go.
 */

let gw: Gateway | undefined;
afterEach(async () => {
  await gw?.close({ graceMs: 0 });
  gw = undefined;
});

const start = () =>
  startGateway({ httpPort: 0, connectPort: 0, mcpPort: 0, admin: false, tokens: 1_000_000, interTokenMs: 0 });

/** An HTTP/1.1 request on a raw socket that is never read from once the reply began. */
function rawHttp(url: string, path: string, body: unknown): Promise<Socket> {
  const { hostname, port } = new URL(url);
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const s = tcpConnect(Number(port), hostname, () => {
      s.write(
        `POST ${path} HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
      );
    });
    s.once("data", (head) => {
      s.pause();
      if (head.toString("latin1").startsWith("HTTP/1.1 200")) resolve(s);
      else reject(new Error(`unexpected reply: ${head.toString("latin1").slice(0, 200)}`));
    });
    s.once("error", reject);
  });
}

// Filling the socket buffers of a loopback connection takes seconds on a loaded machine: a generous limit per test.
describe("a client gone mid-stream is one cancellation in the engine's counters", { timeout: 60_000 }, () => {
  it.each([
    ["NDJSON /api/generate", "/api/generate", { model: "synthetic", prompt: "stop reading" }],
    ["OpenAI SSE /v1/completions", "/v1/completions", { model: "synthetic", prompt: "stop reading", stream: true }],
    [
      "OpenAI SSE /v1/chat/completions",
      "/v1/chat/completions",
      { model: "synthetic", messages: [{ role: "user", content: "stop reading" }], stream: true },
    ],
  ])("%s: the client stops reading, the server blocks, then the socket closes", async (_, path, body) => {
    gw = await start();
    const g = gw;
    const socket = await rawHttp(g.url("http")!, path, body);
    // The server is blocked on the full socket: the engine has stopped producing, far from its end.
    expect(await plateau(() => g.engine.stats().tokens)).toBeGreaterThan(0);
    expect(g.engine.stats()).toMatchObject({ inFlight: 1, cancelled: 0 });
    socket.destroy();
    await until(() => g.engine.stats().inFlight === 0 && g.engine.stats().cancelled === 1, 15_000);
    expect(g.engine.stats()).toMatchObject({ requests: 1, cancelled: 1, errors: 0 });
    expect(g.admission.stats().inFlight).toBe(0);
  });

  it("gRPC over HTTP/2: the client stops reading, the server blocks on flow control, then the session closes", async () => {
    gw = await start();
    const g = gw;
    const session = h2connect(g.url("connect")!);
    session.on("error", () => {});
    const message = toBinary(GenerateRequestSchema, create(GenerateRequestSchema, { model: "synthetic", prompt: "x" }));
    const frame = Buffer.alloc(5 + message.length);
    frame.writeUInt32BE(message.length, 1);
    frame.set(message, 5);
    const stream = session.request({
      ":method": "POST",
      ":path": "/modelwire.v1.InferenceService/Generate",
      "content-type": "application/grpc",
      te: "trailers",
    });
    stream.on("error", () => {});
    const status = new Promise<unknown>((r) => stream.once("response", (h) => r(h[":status"])));
    stream.end(frame);
    expect(await status).toBe(200);
    stream.pause();
    // The server is blocked on the full socket: the engine has stopped producing, far from its end.
    expect(await plateau(() => g.engine.stats().tokens)).toBeGreaterThan(0);
    expect(g.engine.stats()).toMatchObject({ inFlight: 1, cancelled: 0 });
    session.destroy();
    await until(() => g.engine.stats().inFlight === 0 && g.engine.stats().cancelled === 1, 15_000);
    expect(g.engine.stats()).toMatchObject({ requests: 1, cancelled: 1, errors: 0 });
  });

  it("MCP (Model Communication Protocol): a consumer that breaks out, then one whose connection closes", async () => {
    gw = await start();
    const g = gw;
    const client = createMcpClient({ url: g.url("mcp-tcp")!, reconnect: false });
    try {
      let seen = 0;
      for await (const c of client.generate({ model: "synthetic", prompt: "break" }))
        if (!c.done && ++seen === 5) break;
      await until(() => g.engine.stats().inFlight === 0 && g.engine.stats().cancelled === 1, 15_000);
      const it = client.generate({ model: "synthetic", prompt: "close" })[Symbol.asyncIterator]();
      expect((await it.next()).done).toBe(false);
      await client.close();
      await it.return?.().catch(() => {});
      await until(() => g.engine.stats().inFlight === 0 && g.engine.stats().cancelled === 2, 15_000);
      expect(g.engine.stats()).toMatchObject({ requests: 2, cancelled: 2, errors: 0 });
    } finally {
      await client.close();
    }
  });
});
