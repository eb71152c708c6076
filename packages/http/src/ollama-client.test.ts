import type { RequestListener } from "node:http";
import { create } from "@bufbuild/protobuf";
import {
  ChatRequestSchema,
  Code,
  type GenerateRequestInit,
  GenerateRequestSchema,
  ModelwireError,
} from "@modelwire/core";
import {
  createAdmission,
  createStreamVerifier,
  createSyntheticEngine,
  type Engine,
  guardEngine,
} from "@modelwire/engine";
import { until } from "@modelwire/test-kit";
import { afterEach, describe, expect, it } from "vitest";
import { createOllamaClient, type OllamaClient } from "./ollama-client.js";
import { createOllamaServer } from "./ollama-server.js";
import { drain, eventually, failure, type Harness, startHarness } from "./test-support/harness.js";
import { listenLoopback } from "./test-support/listen.js";

let h: Harness | undefined;
let client: OllamaClient | undefined;
const extra: Array<{ close(): unknown }> = [];
afterEach(async () => {
  await client?.close();
  client = undefined;
  await h?.stop();
  h = undefined;
  for (const s of extra.splice(0)) await s.close();
});

/** A plain node:http server for replies our server would never send. */
async function rawServer(handler: RequestListener): Promise<string> {
  const s = await listenLoopback(handler);
  extra.push(s);
  return s.url;
}

/** A loopback port nothing listens on (a server started on port 0 and closed). */
async function closedPort(): Promise<number> {
  const probe = await listenLoopback(() => {});
  await probe.close();
  return Number(new URL(probe.url).port);
}

describe("our client against our server", () => {
  it("streams generate, every token checked against the synthetic engine", async () => {
    h = await startHarness({ tokens: 40 });
    client = createOllamaClient({ host: h.url });
    expect(client.transport).toBe("http");
    for (const prompt of ["one", "two words", "ünïcödé ✓ 🚀"]) {
      const init: GenerateRequestInit = { model: "synthetic", prompt, options: { seed: 11n } };
      const expected = h.engine.expectedGenerate(create(GenerateRequestSchema, init));
      const verifier = createStreamVerifier(expected);
      const chunks = await drain(client.generate(init));
      for (const c of chunks) if (!c.done) verifier.push(c.response);
      const report = verifier.report();
      expect(report.ok, JSON.stringify(report)).toBe(true);
      expect(chunks.filter((c) => !c.done).map((c) => c.response)).toEqual(expected);
      const last = chunks.at(-1)!;
      expect(last.done).toBe(true);
      expect(last.doneReason).toBe("stop");
      expect(last.metrics?.evalCount).toBe(40);
      expect(last.createdAt).toBeDefined();
    }
  });

  it("streams chat and reads a non-streamed reply through the same iterator", async () => {
    h = await startHarness({ tokens: 6 });
    client = createOllamaClient({ host: h.url });
    const req = { model: "synthetic", messages: [{ role: "user", content: "hi" }] };
    const expected = h.engine.expectedChat(create(ChatRequestSchema, req));
    const chunks = await drain(client.chat(req));
    expect(chunks.filter((c) => !c.done).map((c) => c.message?.content)).toEqual(expected);
    const one = await drain(client.chat({ ...req, stream: false }));
    expect(one).toHaveLength(1);
    expect(one[0].message?.content).toBe(expected.join(""));
    expect(one[0].done).toBe(true);
  });

  it("embeds, lists, shows, lists running models and reads the version", async () => {
    h = await startHarness({ embedDimensions: 8, version: "1.2.3" });
    client = createOllamaClient({ host: h.url });
    const e = await client.embed({ model: "synthetic-embed", input: ["a", "b", "c"] });
    expect(e.embeddings.map((v) => v.values.length)).toEqual([8, 8, 8]);
    const direct = await h.engine.embed(
      create((await import("@modelwire/core")).EmbedRequestSchema, {
        model: "synthetic-embed",
        input: ["a", "b", "c"],
      }),
      { signal: new AbortController().signal },
    );
    expect(e.embeddings.map((v) => v.values)).toEqual(direct.embeddings.map((v) => v.values));
    const list = await client.list();
    expect(list.models.map((m) => m.name)).toEqual(h.engine.config.models.map((m) => m.name));
    expect(list.models[0].modifiedAt).toBeDefined();
    const running = await client.running();
    expect(running.models[0].expiresAt).toBeDefined();
    const show = await client.show({ model: "synthetic" });
    expect(show.capabilities).toEqual(["completion"]);
    expect(show.modelInfo?.["general.architecture"]).toBe("synthetic");
    expect((await client.version()).version).toBe("1.2.3");
  });

  it("maps errors to codes: unknown model NotFound, bad option InvalidArgument, busy ResourceExhausted", async () => {
    const admission = createAdmission({ maxInFlight: 1, maxQueue: 0 });
    h = await startHarness({ tokens: 1000, interTokenMs: 5 }, {}, (e) => guardEngine(e, admission));
    client = createOllamaClient({ host: h.url });
    const nf = await failure(drain(client.generate({ model: "ghost", prompt: "x" })));
    expect(nf.code).toBe(Code.NotFound);
    expect(nf.rawMessage).toBe("model 'ghost' not found");
    expect(nf.metadata.httpStatus).toBe("404");
    const bad = await failure(drain(client.generate({ model: "synthetic", options: { topP: 7 } })));
    expect(bad.code).toBe(Code.InvalidArgument);
    expect((await failure(client.show({ model: "ghost" }))).code).toBe(Code.NotFound);
    const holder = client.generate({ model: "synthetic", prompt: "hold" })[Symbol.asyncIterator]();
    await holder.next();
    const busy = await failure(drain(client.generate({ model: "synthetic", prompt: "x" })));
    expect(busy.code).toBe(Code.ResourceExhausted);
    expect(busy.metadata.httpStatus).toBe("503");
    await holder.return?.();
  });

  it("an abort cancels the call on both sides", async () => {
    h = await startHarness({ tokens: 100_000, interTokenMs: 2 });
    client = createOllamaClient({ host: h.url });
    const ac = new AbortController();
    let n = 0;
    const err = await failure(async () => {
      for await (const _ of client!.generate({ model: "synthetic", prompt: "p" }, { signal: ac.signal })) {
        if (++n === 5) ac.abort();
      }
    });
    expect(err.code).toBe(Code.Canceled);
    expect(await eventually(() => h!.engine.stats().cancelled === 1 && h!.engine.stats().inFlight === 0)).toBe(true);
  });

  it("breaking out of the loop cancels the server's work", async () => {
    h = await startHarness({ tokens: 100_000, interTokenMs: 2 });
    client = createOllamaClient({ host: h.url });
    let n = 0;
    for await (const _ of client.generate({ model: "synthetic", prompt: "p" })) if (++n === 3) break;
    expect(n).toBe(3);
    expect(await eventually(() => h!.engine.stats().cancelled === 1 && h!.engine.stats().inFlight === 0)).toBe(true);
  });

  it("a deadline ends the call with DeadlineExceeded and reaches the server", async () => {
    h = await startHarness({ tokens: 100_000, interTokenMs: 5 });
    client = createOllamaClient({ host: h.url });
    const err = await failure(drain(client.generate({ model: "synthetic", prompt: "p" }, { timeoutMs: 150 })));
    expect(err.code).toBe(Code.DeadlineExceeded);
    expect(await eventually(() => h!.engine.stats().inFlight === 0)).toBe(true);
    // The server enforces the header too: a raw request with a tiny budget ends with an error line.
    const r = await fetch(`${h.url}/api/generate`, {
      method: "POST",
      headers: { "x-modelwire-timeout-ms": "100" },
      body: JSON.stringify({ model: "synthetic", prompt: "p" }),
    });
    const lines = (await r.text()).trim().split("\n");
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ code: "deadline_exceeded" });
    const pre = await failure(client.version({ deadline: Date.now() - 1 }));
    expect(pre.code).toBe(Code.DeadlineExceeded);
  });

  it("an error after streaming began arrives as a coded error after the tokens", async () => {
    const base = createSyntheticEngine({ tokens: 50 });
    const failing: Engine = {
      ...base,
      async *generate(req, ctx) {
        let i = 0;
        for await (const c of base.generate(req, ctx)) {
          if (i++ === 3) throw new ModelwireError("GPU fell over", Code.Internal);
          yield c;
        }
      },
    };
    const server = createOllamaServer({ engine: failing });
    const [addr] = await server.listen();
    extra.push({ close: () => server.close({ graceMs: 50 }) });
    client = createOllamaClient({ host: addr.url });
    const got: string[] = [];
    const err = await failure(async () => {
      for await (const c of client!.generate({ model: "synthetic", prompt: "p" })) got.push(c.response);
    });
    expect(got).toHaveLength(3);
    expect(err.code).toBe(Code.Internal);
    expect(err.rawMessage).toBe("GPU fell over");
  });

  it("reuses pooled keep-alive connections and reports pool figures", async () => {
    h = await startHarness({ tokens: 4 });
    client = createOllamaClient({ host: h.url, connections: 2 });
    for (let i = 0; i < 20; i++) {
      await drain(client.generate({ model: "synthetic", prompt: `p${i}` }));
      await client.version();
    }
    // Sequential calls share the pool's connections (undici may open the second one while the first is
    // being released); nothing near one connection per call.
    expect(h.server.stats().requests).toBe(40);
    expect(h.server.stats().accepted).toBeLessThanOrEqual(2);
    const s = client.stats();
    expect(s.transport).toBe("http");
    expect(s.open).toBe(h.server.stats().connections);
    expect(s.active).toBe(0);
    expect(s.queued).toBe(0);
    // Every connection the pool opened is one the server accepted.
    expect(s.opened).toBe(h.server.stats().accepted);
    await Promise.all(
      Array.from({ length: 6 }, (_, i) => drain(client!.generate({ model: "synthetic", prompt: `c${i}` }))),
    );
    expect(client.stats().open).toBeLessThanOrEqual(2);
    expect(h.server.stats().accepted).toBeLessThanOrEqual(2);
    expect(client.stats().opened).toBe(h.server.stats().accepted);
  });

  it("sends the bearer token", async () => {
    h = await startHarness({}, { authToken: "tok" });
    client = createOllamaClient({ host: h.url, authToken: "tok" });
    expect((await client.version()).version).toBeTruthy();
    const anon = createOllamaClient({ host: h.url });
    extra.push(anon);
    expect((await failure(anon.version())).code).toBe(Code.Unauthenticated);
  });

  it("after close, calls fail and in-flight streams are cancelled", async () => {
    h = await startHarness({ tokens: 100_000, interTokenMs: 2 });
    client = createOllamaClient({ host: h.url });
    const it = client.generate({ model: "synthetic", prompt: "p" })[Symbol.asyncIterator]();
    await it.next();
    await client.close();
    const err = await failure(async () => {
      while (!(await it.next()).done);
    });
    expect(err.code).toBe(Code.Canceled);
    expect((await failure(client.version())).code).toBe(Code.FailedPrecondition);
  });
});

describe("transport failures", () => {
  it("retries a refused connection with backoff, then reports Unavailable", async () => {
    const port = await closedPort();
    client = createOllamaClient({ host: `127.0.0.1:${port}`, retries: 3, retryBaseMs: 5 });
    const err = await failure(client.version());
    expect(err.code).toBe(Code.Unavailable);
    expect(client.stats().extra?.retries).toBe(3);
  });

  it("a retry succeeds once the server comes up", async () => {
    const port = await closedPort();
    client = createOllamaClient({ host: `127.0.0.1:${port}`, retries: 12, retryBaseMs: 100, retryMaxMs: 400 });
    const pending = client.version();
    // Start the server once an attempt has failed (a fixed sleep may end before the first attempt on a busy machine).
    await until(() => Number(client!.stats().extra?.retries) > 0);
    h = await startHarness({ version: "late" }, { port });
    expect((await pending).version).toBe("late");
    expect(Number(client.stats().extra?.retries)).toBeGreaterThan(0);
  });

  it("retries a request whose connection was reset before any response byte", async () => {
    let hits = 0;
    const url = await rawServer((req, res) => {
      hits++;
      if (hits === 1) {
        req.socket.destroy();
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"version":"after-reset"}');
    });
    client = createOllamaClient({ host: url, retries: 2, retryBaseMs: 5 });
    expect((await client.version()).version).toBe("after-reset");
    expect(hits).toBe(2);
    expect(client.stats().extra?.retries).toBe(1);
  });

  it("sends the call's remaining time, which becomes the engine's deadline", async () => {
    let seen: number | undefined;
    const base = createSyntheticEngine();
    const spy: Engine = {
      ...base,
      version: (ctx) => {
        seen = ctx.deadline;
        return base.version(ctx);
      },
    };
    const server = createOllamaServer({ engine: spy });
    const [addr] = await server.listen();
    extra.push({ close: () => server.close({ graceMs: 50 }) });
    client = createOllamaClient({ host: addr.url });
    const before = Date.now();
    await client.version({ timeoutMs: 60_000 });
    expect(seen).toBeGreaterThan(before + 50_000);
    expect(seen).toBeLessThanOrEqual(Date.now() + 60_000);
    seen = undefined;
    await client.version();
    expect(seen).toBeUndefined();
  });

  it("does not retry once a response began (500 is returned, not retried)", async () => {
    let hits = 0;
    const url = await rawServer((_req, res) => {
      hits++;
      res.writeHead(500, { "content-type": "application/json" });
      res.end('{"error":"boom"}');
    });
    client = createOllamaClient({ host: url, retries: 3, retryBaseMs: 1 });
    const err = await failure(client.version());
    expect(err.code).toBe(Code.Internal);
    expect(err.rawMessage).toBe("boom");
    expect(hits).toBe(1);
  });

  it("a stream that ends without done: true is Aborted; garbage is Internal; a huge line is ResourceExhausted", async () => {
    const url = await rawServer((req, res) => {
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      if (req.url === "/api/generate") res.end('{"model":"m","response":"a","done":false}\n');
      else if (req.url === "/api/chat") res.end("this is not json\n");
      else res.end('{"error":"x"}');
    });
    client = createOllamaClient({ host: url, maxLineBytes: 1024 });
    expect((await failure(drain(client.generate({ model: "m" })))).code).toBe(Code.Aborted);
    expect((await failure(drain(client.chat({ model: "m" })))).code).toBe(Code.Internal);
    const url2 = await rawServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      res.end(`{"response":"${"z".repeat(5000)}"}\n`);
    });
    const c2 = createOllamaClient({ host: url2, maxLineBytes: 1024 });
    extra.push(c2);
    expect((await failure(drain(c2.generate({ model: "m" })))).code).toBe(Code.ResourceExhausted);
  });

  it("a server that stops sending hits the body timeout as DeadlineExceeded", async () => {
    const url = await rawServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      res.write('{"model":"m","response":"a","done":false}\n');
    });
    client = createOllamaClient({ host: url, bodyTimeoutMs: 300 });
    const got: string[] = [];
    const err = await failure(async () => {
      for await (const c of client!.generate({ model: "m" })) got.push(c.response);
    });
    expect(got).toEqual(["a"]);
    expect(err.code).toBe(Code.DeadlineExceeded);
  });
});
