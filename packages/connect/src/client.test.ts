import { create } from "@bufbuild/protobuf";
import {
  Code,
  GenerateResponseSchema,
  type InferenceClient,
  ModelwireError,
  type ProtocolServer,
} from "@modelwire/core";
import { createSyntheticEngine, type Engine } from "@modelwire/engine";
import { describe, expect, it } from "vitest";
import { type ConnectClientOptions, createConnectClient } from "./client.js";
import { createConnectServer } from "./server.js";
import { flakyEngine, waitForAbort } from "./test-support/engines.js";
import { cleanupAfterEach, failure } from "./test-support/harness.js";
import { startTcpProxy, type TcpProxy } from "./test-support/tcp-proxy.js";
import type { CallTiming } from "./timing.js";

const cleanup = cleanupAfterEach();
async function serve(engine: Engine) {
  const server: ProtocolServer = createConnectServer({ engine });
  cleanup.push(() => server.close({ graceMs: 100 }));
  return (await server.listen())[0].url;
}
function client(options: ConnectClientOptions): InferenceClient {
  const c = createConnectClient(options);
  cleanup.push(() => c.close());
  return c;
}
const GENERATE = { model: "synthetic", prompt: "retry me" };
const fastRetry = { maxAttempts: 3, initialBackoffMs: 10, maxBackoffMs: 50 };

describe("retry with backoff", () => {
  it.each([
    ["grpc", true],
    ["grpc", false],
    ["connect", true],
  ] as const)(
    "%s (fast paths %s): repeats UNAVAILABLE until it succeeds, and gives up after maxAttempts",
    async (protocol, fastUnary) => {
      const engine = flakyEngine(createSyntheticEngine({ tokens: 6 }), 2);
      const url = await serve(engine);
      const c = client({ baseUrl: url, protocol, fastUnary, fastStreaming: fastUnary, retry: fastRetry });
      expect((await c.version()).version).toBeTruthy();
      expect(engine.attempts.version).toBe(3);
      const chunks: string[] = [];
      for await (const chunk of c.generate(GENERATE)) chunks.push(chunk.response);
      expect(chunks).toHaveLength(7);
      expect(engine.attempts.generate).toBe(3);

      const engine2 = flakyEngine(createSyntheticEngine(), 5);
      const c2 = client({
        baseUrl: await serve(engine2),
        protocol,
        fastUnary,
        fastStreaming: fastUnary,
        retry: { ...fastRetry, maxAttempts: 2 },
      });
      expect((await failure(c2.version())).code).toBe(Code.Unavailable);
      expect(engine2.attempts.version).toBe(2);
      const off = client({ baseUrl: await serve(flakyEngine(createSyntheticEngine(), 1)), protocol, retry: false });
      expect((await failure(off.version())).code).toBe(Code.Unavailable);
    },
  );

  it("retries DEADLINE_EXCEEDED of a per-attempt timeout while the call's deadline leaves time", async () => {
    const base = createSyntheticEngine();
    let calls = 0;
    const engine: Engine = {
      ...base,
      version: (ctx) => (++calls === 1 ? waitForAbort(ctx.signal) : base.version(ctx)),
    };
    const c = client({ baseUrl: await serve(engine), retry: { ...fastRetry, perAttemptTimeoutMs: 200 } });
    expect((await c.version({ timeoutMs: 10_000 })).version).toBeTruthy();
    expect(calls).toBe(2);
  });

  it("does not repeat a stream once a message has arrived", async () => {
    const base = createSyntheticEngine();
    let calls = 0;
    const engine: Engine = {
      ...base,
      async *generate() {
        calls++;
        yield create(GenerateResponseSchema, { model: "synthetic", response: "first" });
        throw new ModelwireError("lost the backend", Code.Unavailable);
      },
    };
    const c = client({ baseUrl: await serve(engine), retry: fastRetry });
    const got: string[] = [];
    const err = await failure(async () => {
      for await (const chunk of c.generate(GENERATE)) got.push(chunk.response);
    });
    expect(err.code).toBe(Code.Unavailable);
    expect(got).toEqual(["first"]);
    expect(calls).toBe(1);
  });

  it("retries a refused connection and reports UNAVAILABLE when nobody ever answers", async () => {
    const url = await serve(createSyntheticEngine());
    const server = cleanup.pop()!; // close it now: the port is free, connections are refused
    await server();
    const t0 = Date.now();
    const err = await failure(client({ baseUrl: url, retry: fastRetry }).version());
    expect(err.code).toBe(Code.Unavailable);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(10); // at least one backoff happened
  });
});

describe("keepalive", () => {
  it("detects a dead peer with PING and fails the open stream with UNAVAILABLE", async () => {
    const engine = createSyntheticEngine({ tokens: 3, interTokenMs: 20_000 });
    const proxy: TcpProxy = await startTcpProxy(Number(new URL(await serve(engine)).port));
    cleanup.push(() => proxy.close());
    const c = client({ baseUrl: proxy.url, retry: false, keepalive: { intervalMs: 100, timeoutMs: 300 } });
    const it = c.generate(GENERATE)[Symbol.asyncIterator]();
    expect((await it.next()).done).toBe(false);
    proxy.freeze();
    const t0 = Date.now();
    const err = await failure(it.next());
    expect(err.code).toBe(Code.Unavailable);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });
});

describe("timing interceptor and stats", () => {
  it.each([true, false])("reports each call's timing (fast paths %s) and session figures", async (fastUnary) => {
    const timings: CallTiming[] = [];
    const url = await serve(createSyntheticEngine({ tokens: 4 }));
    const c = client({ baseUrl: url, fastUnary, fastStreaming: fastUnary, onTiming: (t) => timings.push(t) });
    expect(c.stats()).toMatchObject({ transport: "connect-grpc", open: 0, active: 0 });
    await c.version();
    for await (const _ of c.generate(GENERATE));
    await failure(c.show({ model: "nope:x" }));
    expect(timings.map((t) => [t.method, t.stream, t.messages, t.code])).toEqual([
      ["Version", false, 1, Code.Ok],
      ["Generate", true, 5, Code.Ok],
      ["ShowModel", false, 0, Code.NotFound],
    ]);
    for (const t of timings) expect(t.totalMs).toBeGreaterThanOrEqual(t.headersMs);
    expect(timings[1].firstMessageMs).toBeDefined();
    const s = c.stats();
    expect(s).toMatchObject({ open: 1, active: 0, queued: 0, opened: 1, reconnects: 0 });
    expect(s.extra).toMatchObject({ protocol: "grpc" });
    expect(Number(s.extra?.bytesIn)).toBeGreaterThan(0);
    await c.close();
    expect((await failure(c.version())).code).toBe(Code.Unavailable);
  });

  it("refuses gRPC over HTTP/1.1 and a bad URL with INVALID_ARGUMENT", () => {
    expect(() => createConnectClient({ baseUrl: "http://127.0.0.1:1", httpVersion: "1.1" })).toThrow(ModelwireError);
    expect(() => createConnectClient({ baseUrl: "not a url" })).toThrow(/invalid baseUrl/);
  });
});
