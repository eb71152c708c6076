import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { ChatRequestSchema, Code, GenerateRequestSchema, ModelwireError } from "@modelwire/core";
import { createStreamVerifier, createSyntheticEngine, type SyntheticEngine } from "@modelwire/engine";
import { testTls } from "@modelwire/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMcpClient, createMcpServer } from "./index.js";
import { cleanupAfterEach } from "./test-support/harness.js";

const MODEL = "synthetic:latest";
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "mcp-uds-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Kind = "tcp" | "uds" | "tls";

async function start(kind: Kind, engine: SyntheticEngine, extra: { authToken?: string } = {}) {
  const server = createMcpServer({
    engine,
    ...extra,
    ...(kind === "tcp" ? { tcp: { port: 0 } } : {}),
    ...(kind === "uds" ? { unix: { path: join(dir, `s-${Math.random().toString(36).slice(2)}.sock`) } } : {}),
    ...(kind === "tls" ? { tls: { port: 0, key: testTls.key, cert: testTls.cert } } : {}),
  });
  const [addr] = await server.listen();
  return { server, url: addr.url, protocol: addr.protocol };
}

const cleanups = cleanupAfterEach();

async function setup(kind: Kind, opts: { authToken?: string; clientToken?: string } = {}) {
  const engine = createSyntheticEngine({ tokens: 12 });
  const { server, url, protocol } = await start(kind, engine, { authToken: opts.authToken });
  const client = createMcpClient({
    url,
    tls: kind === "tls" ? { ca: testTls.ca } : undefined,
    authToken: opts.clientToken,
  });
  cleanups.push(async () => {
    await client.close();
    await server.close({ graceMs: 100 });
  });
  return { engine, server, client, url, protocol };
}

async function collect(stream: AsyncIterable<{ response?: string; message?: { content: string }; done: boolean }>) {
  const tokens: string[] = [];
  let final: unknown;
  for await (const c of stream) {
    if (c.done) final = c;
    else tokens.push(c.response ?? c.message?.content ?? "");
  }
  return { tokens, final };
}

describe.each<Kind>(["tcp", "uds", "tls"])("MCP over %s", (kind) => {
  it("serves generate, chat, embed, list, running, show and version", async () => {
    const { engine, client, server, protocol } = await setup(kind);
    expect(protocol).toBe(kind === "uds" ? "mcp-uds" : `mcp-${kind}`);
    expect(client.transport).toBe(protocol);

    const genReq = create(GenerateRequestSchema, { model: MODEL, prompt: `why ${kind}?` });
    const gen = await collect(client.generate(genReq));
    expect(gen.tokens).toEqual(engine.expectedGenerate(genReq));
    expect(gen.final).toMatchObject({ done: true, doneReason: "stop", model: MODEL });
    expect((gen.final as { metrics?: { evalCount: number } }).metrics?.evalCount).toBe(12);

    const chatReq = create(ChatRequestSchema, { model: MODEL, messages: [{ role: "user", content: "hello" }] });
    const chat = await collect(client.chat(chatReq));
    const verifier = createStreamVerifier(engine.expectedChat(chatReq));
    for (const t of chat.tokens) verifier.push(t);
    expect(verifier.report().ok).toBe(true);
    expect(chat.tokens.length).toBe(12);

    const emb = await client.embed({ model: "synthetic-embed:latest", input: ["a", "b"] });
    expect(emb.embeddings.length).toBe(2);
    expect(emb.embeddings[0].values.length).toBe(384);

    const list = await client.list();
    expect(list.models.map((m) => m.name)).toContain(MODEL);
    const running = await client.running();
    expect(Array.isArray(running.models)).toBe(true);
    const show = await client.show({ model: MODEL });
    expect(show.details?.parameterSize).toBe("1.2B");
    expect((await client.version()).version).toBe(engine.config.version);

    const st = server.stats();
    expect(st.connections).toBe(1);
    expect(st.bytesIn).toBeGreaterThan(0);
    expect(st.bytesOut).toBeGreaterThan(st.bytesIn);
    const cs = client.stats();
    expect(cs).toMatchObject({ transport: protocol, open: 1, active: 0 });
  });

  it("reports engine errors with their code (unknown model -> NOT_FOUND)", async () => {
    const { client } = await setup(kind);
    const err = await collect(client.generate({ model: "nope:1b", prompt: "x" })).catch((e) => e);
    expect(err).toBeInstanceOf(ModelwireError);
    expect((err as ModelwireError).code).toBe(Code.NotFound);
    await expect(client.show({ model: "nope:1b" })).rejects.toMatchObject({ code: Code.NotFound });
    // The connection is still fine afterwards.
    expect((await client.list()).models.length).toBeGreaterThan(0);
  });

  it("checks the auth token at the handshake", async () => {
    const good = await setup(kind, { authToken: "t0ken", clientToken: "t0ken" });
    expect((await good.client.version()).version).toBeTruthy();
    const bad = createMcpClient({
      url: good.url,
      tls: kind === "tls" ? { ca: testTls.ca } : undefined,
      authToken: "wrong",
      reconnect: false,
    });
    cleanups.push(() => bad.close());
    await expect(bad.version()).rejects.toMatchObject({ code: Code.Unauthenticated });
    const none = createMcpClient({
      url: good.url,
      tls: kind === "tls" ? { ca: testTls.ca } : undefined,
      reconnect: false,
    });
    cleanups.push(() => none.close());
    await expect(none.list()).rejects.toMatchObject({ code: Code.Unauthenticated });
  });
});

describe("TLS", () => {
  it("refuses a server certificate the client does not trust", async () => {
    const engine = createSyntheticEngine();
    const { server, url } = await start("tls", engine);
    const client = createMcpClient({ url, reconnect: false, connectTimeoutMs: 5000 });
    cleanups.push(async () => {
      await client.close();
      await server.close({ graceMs: 0 });
    });
    await expect(client.version()).rejects.toMatchObject({ code: Code.Unavailable });
  });
});

describe("url parsing", () => {
  it("rejects unsupported URLs with InvalidArgument", () => {
    expect(() => createMcpClient({ url: "http://127.0.0.1:1" })).toThrow(ModelwireError);
    expect(() => createMcpClient({ url: "tcp://127.0.0.1" })).toThrow(/tcp:\/\/host:port/);
  });
});
