import { create } from "@bufbuild/protobuf";
import {
  ChatRequestSchema,
  Code,
  GenerateRequestSchema,
  type InferenceClient,
  type ModelwireError,
  type ProtocolServer,
} from "@modelwire/core";
import {
  createAdmission,
  createStreamVerifier,
  createSyntheticEngine,
  type Engine,
  guardEngine,
} from "@modelwire/engine";
import { testTls, until } from "@modelwire/test-kit";
import { afterEach, describe, expect, it } from "vitest";
import { type ConnectClientOptions, createConnectClient } from "./client.js";
import { envelope } from "./grpc-wire.js";
import { type ConnectServerOptions, createConnectServer } from "./server.js";
import { type AbortLog, hangingUnaryEngine } from "./test-support/engines.js";
import { recordingObserver } from "./test-support/observer.js";
import { rawH2Request } from "./test-support/raw-h2.js";

const servers: ProtocolServer[] = [];
const clients: InferenceClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close({ graceMs: 200 })));
});

async function start(options: ConnectServerOptions) {
  const server = createConnectServer(options);
  servers.push(server);
  const [address] = await server.listen();
  return { server, url: address.url };
}
function client(options: ConnectClientOptions) {
  const c = createConnectClient({ retry: false, ...options });
  clients.push(c);
  return c;
}
async function codeOf(p: Promise<unknown> | (() => Promise<unknown>)): Promise<Code> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    return (e as ModelwireError).code;
  }
  throw new Error("expected the call to fail");
}
async function drain(it: AsyncIterable<unknown>) {
  for await (const _ of it);
}
const GENERATE = { model: "synthetic", prompt: "why is the sky blue?" };

describe("one server, three protocols", () => {
  // [protocol, HTTP version, client fast paths, server fast paths]
  const combos: Array<[ConnectClientOptions["protocol"], "2" | "1.1", boolean, boolean]> = [
    ["grpc", "2", true, true],
    ["grpc", "2", false, true],
    ["grpc", "2", true, false],
    ["grpc", "2", false, false],
    ["connect", "2", true, true],
    ["grpc-web", "2", true, true],
    ["connect", "1.1", true, true],
    ["grpc-web", "1.1", true, true],
  ];
  it.each(combos)(
    "%s over HTTP/%s (client fast paths %s, server fast paths %s): unary calls and Generate/Chat verified token by token",
    async (protocol, httpVersion, clientFast, serverFast) => {
      const engine = createSyntheticEngine({ tokens: 24 });
      const { url } = await start({ engine, fastUnary: serverFast, fastStreaming: serverFast });
      const c = client({ baseUrl: url, protocol, httpVersion, fastUnary: clientFast, fastStreaming: clientFast });
      expect((await c.version()).version).toBe(engine.config.version);
      expect((await c.list()).models.map((m) => m.name)).toContain("synthetic:latest");
      expect((await c.show({ model: "synthetic" })).capabilities).toEqual(["completion"]);
      const emb = await c.embed({ model: "synthetic-embed", input: ["a", "b"] });
      expect(emb.embeddings).toHaveLength(2);

      const verifier = createStreamVerifier(engine.expectedGenerate(create(GenerateRequestSchema, GENERATE)));
      let final = 0;
      for await (const chunk of c.generate(GENERATE)) {
        if (chunk.done) {
          final++;
          expect(chunk.doneReason).toBe("stop");
          expect(chunk.metrics?.evalCount).toBe(24);
        } else verifier.push(chunk.response);
      }
      expect(final).toBe(1);
      expect(verifier.report()).toMatchObject({ ok: true, received: 24 });

      const chatReq = { model: "synthetic", messages: [{ role: "user", content: "hello" }] };
      const chatVerifier = createStreamVerifier(engine.expectedChat(create(ChatRequestSchema, chatReq)));
      for await (const chunk of c.chat(chatReq)) if (!chunk.done) chatVerifier.push(chunk.message?.content ?? "");
      expect(chatVerifier.report().ok).toBe(true);

      expect(await codeOf(c.show({ model: "nope:x" }))).toBe(Code.NotFound);
      expect(await codeOf(drain(c.generate({ model: "nope:x", prompt: "x" })))).toBe(Code.NotFound);
      expect(await codeOf(drain(c.generate({ model: "synthetic-embed", prompt: "x" })))).toBe(Code.InvalidArgument);
    },
  );

  it("serves TLS with HTTP/2 (gRPC) and HTTP/1.1 (Connect) negotiated by ALPN", async () => {
    const engine = createSyntheticEngine();
    const { url } = await start({ engine, tls: { key: testTls.key, cert: testTls.cert } });
    expect(url.startsWith("https://")).toBe(true);
    const tls = { ca: testTls.ca };
    expect((await client({ baseUrl: url, tls }).version()).version).toBe(engine.config.version);
    const h1 = client({ baseUrl: url, tls, protocol: "connect", httpVersion: "1.1" });
    expect((await h1.version()).version).toBe(engine.config.version);
    const tokens: string[] = [];
    for await (const c of client({ baseUrl: url, tls, protocol: "grpc", fastUnary: false }).generate(GENERATE))
      tokens.push(c.response);
    expect(tokens.length).toBe(engine.config.tokens + 1);
  });
});

describe("deadlines and cancel reach the engine", () => {
  it.each([true, false])(
    "a grpc-timeout on a unary call answers DEADLINE_EXCEEDED and fires the engine's signal (fast unary %s)",
    async (fastUnary) => {
      const log: AbortLog = { reasons: [] };
      const { url } = await start({ engine: hangingUnaryEngine(createSyntheticEngine(), log), fastUnary });
      const res = await rawH2Request(url, "/modelwire.v1.InferenceService/Version", envelope(new Uint8Array(0)), {
        "grpc-timeout": "150m",
      });
      expect(res.grpcStatus).toBe(Code.DeadlineExceeded);
      await until(() => log.reasons.length === 1);
      expect((log.reasons[0] as ModelwireError).code).toBe(Code.DeadlineExceeded);
    },
  );

  it.each([true, false])(
    "a deadline on a stream ends it with DEADLINE_EXCEEDED and stops the engine (fast streaming %s)",
    async (fast) => {
      const engine = createSyntheticEngine({ tokens: 200, interTokenMs: 50 });
      const { url, server } = await start({ engine, fastStreaming: fast });
      const c = client({ baseUrl: url, fastStreaming: fast });
      let received = 0;
      const code = await codeOf(async () => {
        for await (const chunk of c.generate(GENERATE, { timeoutMs: 400 })) if (!chunk.done) received++;
      });
      expect(code).toBe(Code.DeadlineExceeded);
      expect(received).toBeGreaterThan(0);
      expect(received).toBeLessThan(200);
      await until(() => engine.stats().inFlight === 0 && server.stats().inFlight === 0);
      expect(engine.stats().cancelled).toBe(1);
    },
  );

  it.each([true, false])(
    "the server enforces grpc-timeout on a stream itself, no client timer (fast streaming %s)",
    async (fast) => {
      const engine = createSyntheticEngine({ tokens: 200, interTokenMs: 50 });
      const { url } = await start({ engine, fastStreaming: fast });
      const body = envelope(
        (await import("@bufbuild/protobuf")).toBinary(GenerateRequestSchema, create(GenerateRequestSchema, GENERATE)),
      );
      const res = await rawH2Request(url, "/modelwire.v1.InferenceService/Generate", body, { "grpc-timeout": "300m" });
      expect(res.grpcStatus).toBe(Code.DeadlineExceeded);
      await until(() => engine.stats().inFlight === 0);
      expect(engine.stats().cancelled).toBe(1);
    },
  );

  it.each([
    ["grpc", true],
    ["grpc", false],
    ["connect", true],
  ] as const)(
    "a client cancel (%s, fast paths %s) stops the engine's stream and unary call",
    async (protocol, fast) => {
      const log: AbortLog = { reasons: [] };
      const engine = createSyntheticEngine({ tokens: 200, interTokenMs: 50 });
      const { url } = await start({ engine: hangingUnaryEngine(engine, log), fastUnary: fast, fastStreaming: fast });
      const c = client({ baseUrl: url, protocol, fastUnary: fast, fastStreaming: fast });
      const ac = new AbortController();
      const code = await codeOf(async () => {
        for await (const chunk of c.generate(GENERATE, { signal: ac.signal })) if (!chunk.done) ac.abort();
      });
      expect(code).toBe(Code.Canceled);
      await until(() => engine.stats().inFlight === 0);
      expect(engine.stats().cancelled).toBe(1);

      const ac2 = new AbortController();
      setTimeout(() => ac2.abort(), 100);
      expect(await codeOf(c.version({ signal: ac2.signal }))).toBe(Code.Canceled);
      await until(() => log.reasons.length === 1);
      expect((log.reasons[0] as ModelwireError).code).toBe(Code.Canceled);
    },
  );
});

describe("limits and bad input", () => {
  it.each([true, false])("an oversized request answers RESOURCE_EXHAUSTED (fast paths %s)", async (fast) => {
    const { url } = await start({
      engine: createSyntheticEngine(),
      readMaxBytes: 1024,
      fastUnary: fast,
      fastStreaming: fast,
    });
    const c = client({ baseUrl: url });
    expect(await codeOf(c.show({ model: "x".repeat(5_000) }))).toBe(Code.ResourceExhausted);
    expect(await codeOf(drain(c.generate({ model: "synthetic", prompt: "y".repeat(5_000) })))).toBe(
      Code.ResourceExhausted,
    );
    expect((await c.version()).version).toBeTruthy();
  });

  it("the admission limit answers RESOURCE_EXHAUSTED", async () => {
    const engine = guardEngine(
      createSyntheticEngine({ tokens: 20, interTokenMs: 50 }),
      createAdmission({ maxInFlight: 1 }),
    );
    const { url } = await start({ engine });
    const c = client({ baseUrl: url });
    const first = c.generate(GENERATE)[Symbol.asyncIterator]();
    expect((await first.next()).done).toBe(false);
    expect(await codeOf(drain(c.generate(GENERATE)))).toBe(Code.ResourceExhausted);
    await first.return?.();
  });

  it.each([
    ["Version", true],
    ["Generate", true],
    ["Generate", false],
  ] as const)(
    "a malformed envelope to %s gets a coded error and the server stays up (fast paths %s)",
    async (method, fast) => {
      const engine = createSyntheticEngine();
      const { url } = await start({ engine, fastUnary: fast, fastStreaming: fast });
      const promisesMore = Buffer.from([0, 0, 0, 0, 9, 1]);
      const r1 = await rawH2Request(url, `/modelwire.v1.InferenceService/${method}`, promisesMore);
      expect(r1.grpcStatus).toBe(Code.InvalidArgument);
      const garbage = Buffer.from([0, 0, 0, 0, 3, 0xff, 0xff, 0xff]);
      const r2 = await rawH2Request(url, `/modelwire.v1.InferenceService/${method}`, garbage);
      expect(r2.grpcStatus).toBeGreaterThan(0);
      const r3 = await rawH2Request(url, `/modelwire.v1.InferenceService/${method}`, Buffer.alloc(0), {
        "grpc-timeout": "soon",
      });
      expect(r3.grpcStatus).toBe(Code.InvalidArgument);
      const r4 = await rawH2Request(url, "/modelwire.v1.InferenceService/Nope", Buffer.alloc(5));
      expect(r4.status === 404 || r4.grpcStatus === Code.Unimplemented).toBe(true);
      expect((await client({ baseUrl: url }).version()).version).toBe(engine.config.version);
    },
  );

  it("requires the bearer token on every path when one is set", async () => {
    const { url } = await start({ engine: createSyntheticEngine(), authToken: "s3cret" });
    for (const protocol of ["grpc", "connect", "grpc-web"] as const) {
      const anon = client({ baseUrl: url, protocol });
      expect(await codeOf(anon.version())).toBe(Code.Unauthenticated);
      expect(await codeOf(drain(anon.generate(GENERATE)))).toBe(Code.Unauthenticated);
      const wrong = client({ baseUrl: url, protocol, authToken: "s3creT" });
      expect(await codeOf(wrong.version())).toBe(Code.Unauthenticated);
      const ok = client({ baseUrl: url, protocol, authToken: "s3cret" });
      expect((await ok.version()).version).toBeTruthy();
      await drain(ok.generate(GENERATE));
    }
  });
});

describe("lifecycle, stats and observer", () => {
  it("close() sends GOAWAY, lets a stream in flight finish, then refuses new calls", async () => {
    const engine = createSyntheticEngine({ tokens: 10, interTokenMs: 40 });
    const { url, server } = await start({ engine });
    const c = client({ baseUrl: url, protocol: "grpc" });
    const it = c.generate(GENERATE)[Symbol.asyncIterator]();
    expect((await it.next()).done).toBe(false);
    const closed = server.close({ graceMs: 10_000 });
    let rest = 0;
    for (let r = await it.next(); !r.done; r = await it.next()) rest++;
    expect(rest).toBe(10); // 9 more tokens and the final chunk
    await closed;
    expect(await codeOf(client({ baseUrl: url }).version())).toBe(Code.Unavailable);
  });

  it("close() ends stuck calls after the grace period with UNAVAILABLE, on every protocol", async () => {
    const engine = createSyntheticEngine({ tokens: 10, interTokenMs: 60_000 });
    const { url, server } = await start({ engine });
    const failed: Promise<Code | undefined>[] = [];
    for (const protocol of ["grpc", "connect", "grpc-web"] as const) {
      const it = client({ baseUrl: url, protocol }).generate(GENERATE)[Symbol.asyncIterator]();
      expect((await it.next()).done).toBe(false);
      failed.push(codeOf(it.next()));
    }
    const t0 = Date.now();
    await server.close({ graceMs: 150 });
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(await Promise.all(failed)).toEqual([Code.Unavailable, Code.Unavailable, Code.Unavailable]);
    await until(() => engine.stats().inFlight === 0);
  });

  it("reports calls to the observer and counts socket bytes", async () => {
    const { observer, calls } = recordingObserver();
    const engine: Engine = createSyntheticEngine({ tokens: 5 });
    const { url, server } = await start({ engine, observer });
    await client({ baseUrl: url }).version();
    await drain(client({ baseUrl: url, protocol: "connect" }).generate(GENERATE));
    await codeOf(client({ baseUrl: url, protocol: "grpc-web" }).show({ model: "nope:x" }));
    expect(calls).toEqual([
      { protocol: "grpc", method: "version", chunks: 0, error: undefined },
      { protocol: "connect", method: "generate", chunks: 5, error: undefined },
      { protocol: "grpc-web", method: "show", chunks: 0, error: Code.NotFound },
    ]);
    const s = server.stats();
    expect(s.connections).toBe(3);
    expect(s.inFlight).toBe(0);
    expect(s.bytesIn).toBeGreaterThan(100);
    expect(s.bytesOut).toBeGreaterThan(100);
  });
});
