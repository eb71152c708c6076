import { create } from "@bufbuild/protobuf";
import { Code, GenerateRequestSchema, ModelwireError, type ServerObserver } from "@modelwire/core";
import { createStreamVerifier, createSyntheticEngine } from "@modelwire/engine";
import { until as untilHolds } from "@modelwire/test-kit";
import { describe, expect, it } from "vitest";
import { createMcpClient, createMcpServer, type McpClientOptions } from "./index.js";
import { cleanupAfterEach, startClientServer, type TestServerOptions } from "./test-support/harness.js";

const MODEL = "synthetic:latest";
const cleanups = cleanupAfterEach();
const setup = (opts: TestServerOptions, clientOpts: Partial<McpClientOptions> = {}) =>
  startClientServer(cleanups, opts, clientOpts, 0);
const until = (pred: () => boolean) => untilHolds(pred, { everyMs: 5 });

/** Observer recording every call's outcome on the server. */
function recorder() {
  const ends: (ModelwireError | undefined)[] = [];
  let live = 0;
  let peak = 0;
  const observer: ServerObserver = {
    callStarted: () => {
      live++;
      peak = Math.max(peak, live);
      return {
        chunk() {},
        end: (e) => {
          live--;
          ends.push(e);
        },
      };
    },
  };
  return { observer, ends, peak: () => peak };
}

/** Starts a long generate and waits for its first chunk, so it holds one stream slot. */
async function holdSlot(client: ReturnType<typeof createMcpClient>, signal: AbortSignal) {
  const it = client.generate({ model: MODEL, prompt: "hold" }, { signal })[Symbol.asyncIterator]();
  await it.next();
  return it;
}

describe("client queueing at the server's stream limit", () => {
  it("500 concurrent generates with a server limit of 32 all complete, each token by token", async () => {
    const engine = createSyntheticEngine({ tokens: 12, interTokenMs: 1, jitter: 0.5 });
    const rec = recorder();
    const { client, server } = await setup({ engine, maxStreamsPerConnection: 32, observer: rec.observer });
    let maxQueued = 0;
    const results = await Promise.all(
      Array.from({ length: 500 }, async (_, i) => {
        const req = create(GenerateRequestSchema, {
          model: MODEL,
          prompt: `queued prompt ${i}`,
          options: { seed: BigInt(i) },
        });
        const verifier = createStreamVerifier(engine.expectedGenerate(req));
        let done = 0;
        for await (const c of client.generate(req)) {
          maxQueued = Math.max(maxQueued, client.stats().queued);
          expect(client.stats().active).toBeLessThanOrEqual(32);
          if (c.done) done++;
          else verifier.push(c.response);
        }
        return { report: verifier.report(), done };
      }),
    );
    for (const r of results) {
      expect(r.report).toMatchObject({ ok: true, expected: 12, received: 12, lost: 0, duplicated: 0, outOfOrder: 0 });
      expect(r.done).toBe(1);
    }
    expect(maxQueued).toBeGreaterThan(0);
    expect(client.stats().queued).toBe(0);
    expect(client.stats().open).toBe(1);
    expect(server.stats().connections).toBe(1);
    expect(engine.stats().requests).toBe(500);
    // The server never refused a stream: every call it saw ended well, and at most 32 ran at once.
    expect(rec.ends).toHaveLength(500);
    expect(rec.ends.filter((e) => e !== undefined)).toEqual([]);
    expect(rec.peak()).toBeLessThanOrEqual(32);
  }, 60_000);

  it("with a pool, queued calls spread over the connections it opens, each at the limit", async () => {
    const engine = createSyntheticEngine({ tokens: 6, interTokenMs: 2 });
    const { client, server } = await setup({ engine, maxStreamsPerConnection: 4 }, { poolSize: 2 });
    let peak = 0;
    const done = await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        const req = create(GenerateRequestSchema, { model: MODEL, prompt: `pool ${i}` });
        const verifier = createStreamVerifier(engine.expectedGenerate(req));
        for await (const c of client.generate(req)) {
          peak = Math.max(peak, client.stats().active);
          if (!c.done) verifier.push(c.response);
        }
        return verifier.report().ok;
      }),
    );
    expect(done.every(Boolean)).toBe(true);
    expect(peak).toBeLessThanOrEqual(8);
    expect(peak).toBeGreaterThan(4); // the second connection carried streams too
    expect(server.stats().connections).toBe(2);
  }, 30_000);

  it("a call aborted while queued fails with its reason and never reaches the server", async () => {
    const engine = createSyntheticEngine({ tokens: 100_000, interTokenMs: 5 });
    const { client } = await setup({ engine, maxStreamsPerConnection: 1 });
    const holder = new AbortController();
    await holdSlot(client, holder.signal);
    expect(engine.stats().requests).toBe(1);

    const ac = new AbortController();
    const queued = client.list({ signal: ac.signal }).catch((e) => e);
    await until(() => client.stats().queued === 1);
    ac.abort();
    const err = await queued;
    expect(err).toBeInstanceOf(ModelwireError);
    expect((err as ModelwireError).code).toBe(Code.Canceled);
    expect(client.stats().queued).toBe(0);

    // A deadline expiring in the queue fails the call the same way.
    const late = await client.list({ timeoutMs: 50 }).catch((e) => e);
    expect((late as ModelwireError).code).toBe(Code.DeadlineExceeded);

    // Neither reached the server; once the slot frees, a queued call runs.
    const next = client.version();
    await until(() => client.stats().queued === 1);
    holder.abort();
    const v = await next;
    expect(typeof v.version).toBe("string");
    expect(engine.stats().requests).toBe(1);
  }, 30_000);

  it("a full queue fails fast with ResourceExhausted naming the limit", async () => {
    const engine = createSyntheticEngine({ tokens: 100_000, interTokenMs: 5 });
    const { client } = await setup({ engine, maxStreamsPerConnection: 1 }, { maxQueuedStreams: 2 });
    const holder = new AbortController();
    await holdSlot(client, holder.signal);
    const waiting = [client.list().catch((e) => e), client.list().catch((e) => e)];
    await until(() => client.stats().queued === 2);
    const err = await client.list().catch((e) => e);
    expect(err).toBeInstanceOf(ModelwireError);
    expect((err as ModelwireError).code).toBe(Code.ResourceExhausted);
    expect((err as ModelwireError).rawMessage).toContain("maxQueuedStreams 2");
    expect((err as ModelwireError).metadata.limit).toBe("2");
    holder.abort();
    for (const w of await Promise.all(waiting)) expect(w.models).toBeDefined();
  }, 30_000);

  it("queued calls fail with UNAVAILABLE when the connection dies and reconnecting fails", async () => {
    const engine = createSyntheticEngine({ tokens: 100_000, interTokenMs: 5 });
    const server = createMcpServer({ tcp: { port: 0 }, engine, maxStreamsPerConnection: 1 });
    const [addr] = await server.listen();
    const client = createMcpClient({ url: addr.url, reconnect: { initialDelayMs: 20, maxAttempts: 2 } });
    cleanups.push(async () => {
      await client.close();
    });
    const holder = new AbortController();
    const held = await holdSlot(client, holder.signal);
    const queued = [client.list().catch((e) => e), client.version().catch((e) => e)];
    await until(() => client.stats().queued === 2);
    await server.close({ graceMs: 0 });
    for (const e of await Promise.all(queued)) {
      expect(e).toBeInstanceOf(ModelwireError);
      expect((e as ModelwireError).code).toBe(Code.Unavailable);
    }
    expect(client.stats().queued).toBe(0);
    expect(engine.stats().requests).toBe(1);
    await held.return?.();
  }, 30_000);
});
