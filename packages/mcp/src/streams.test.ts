import { create, toBinary } from "@bufbuild/protobuf";
import { Code, DataType, GenerateRequestSchema, ModelwireError, type ServerObserver } from "@modelwire/core";
import { createAdmission, createStreamVerifier, createSyntheticEngine, guardEngine } from "@modelwire/engine";
import { decodeErrorPayload, encodeFrame, encodeOpenFrame, FrameType, Method } from "@modelwire/mcp-codec";
import { encodeInferenceRequest } from "@modelwire/mcp-codec/internal";
import { plateau, until } from "@modelwire/test-kit";
import { describe, expect, it } from "vitest";
import { createMcpClient, createMcpServer } from "./index.js";
import {
  cleanupAfterEach,
  startClientServer,
  startRawPeerServer,
  type TestServerOptions,
} from "./test-support/harness.js";
import { helloBytes } from "./test-support/raw-peer.js";

const MODEL = "synthetic:latest";
const cleanups = cleanupAfterEach();
const setup = (opts: TestServerOptions, clientOpts: { heartbeatMs?: number } = {}) =>
  startClientServer(cleanups, opts, clientOpts, 200);

describe("multiplexing", () => {
  it("runs 100 concurrent streams on one connection, each reassembled exactly", async () => {
    const engine = createSyntheticEngine({ tokens: 40, interTokenMs: 1, jitter: 0.5 });
    const { client, server } = await setup({ engine });
    const results = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const req = create(GenerateRequestSchema, {
          model: MODEL,
          prompt: `prompt number ${i}`,
          options: { seed: BigInt(i) },
        });
        const verifier = createStreamVerifier(engine.expectedGenerate(req));
        let done = 0;
        for await (const c of client.generate(req)) {
          if (c.done) done++;
          else verifier.push(c.response);
        }
        return { report: verifier.report(), done };
      }),
    );
    for (const r of results) {
      expect(r.report).toMatchObject({ ok: true, expected: 40, received: 40, lost: 0, duplicated: 0, outOfOrder: 0 });
      expect(r.done).toBe(1);
    }
    expect(client.stats().open).toBe(1);
    expect(server.stats().connections).toBe(1);
    expect(engine.stats().requests).toBe(100);
  });
});

describe("cancel and deadlines", () => {
  it("cancel mid-stream (AbortSignal) stops the engine", async () => {
    const engine = createSyntheticEngine({ tokens: 100_000, interTokenMs: 5 });
    const observed: (ModelwireError | undefined)[] = [];
    const observer: ServerObserver = { callStarted: () => ({ chunk() {}, end: (e) => observed.push(e) }) };
    const { client, server } = await setup({ engine, observer });
    const ac = new AbortController();
    let got = 0;
    const err = await (async () => {
      for await (const c of client.generate({ model: MODEL, prompt: "long" }, { signal: ac.signal })) {
        if (!c.done && ++got === 5) ac.abort();
      }
    })().catch((e) => e);
    expect(err).toBeInstanceOf(ModelwireError);
    expect((err as ModelwireError).code).toBe(Code.Canceled);
    await until(() => engine.stats().inFlight === 0 && server.stats().inFlight === 0);
    expect(engine.stats().cancelled).toBe(1);
    expect(engine.stats().tokens).toBeLessThan(1000);
    expect(observed[0]?.code).toBe(Code.Canceled);
  });

  it("breaking out of for-await cancels the stream on the server", async () => {
    const engine = createSyntheticEngine({ tokens: 100_000, interTokenMs: 5 });
    const { client } = await setup({ engine });
    for await (const c of client.generate({ model: MODEL, prompt: "x" })) {
      if (!c.done) break;
    }
    await until(() => engine.stats().inFlight === 0);
    expect(engine.stats().cancelled).toBe(1);
  });

  it("a call deadline fails the call with DEADLINE_EXCEEDED and stops the engine", async () => {
    const engine = createSyntheticEngine({ tokens: 100_000, interTokenMs: 5 });
    const { client } = await setup({ engine });
    const err = await (async () => {
      for await (const _ of client.generate({ model: MODEL, prompt: "x" }, { timeoutMs: 150 })) {
        /* consume */
      }
    })().catch((e) => e);
    expect((err as ModelwireError).code).toBe(Code.DeadlineExceeded);
    await until(() => engine.stats().inFlight === 0);
    expect(engine.stats().cancelled).toBe(1);
  });

  it("the OPEN deadline reaches the server, which stops the engine and sends ERROR DEADLINE_EXCEEDED", async () => {
    const engine = createSyntheticEngine({ tokens: 100_000, interTokenMs: 5 });
    const observed: (ModelwireError | undefined)[] = [];
    const observer: ServerObserver = { callStarted: () => ({ chunk() {}, end: (e) => observed.push(e) }) };
    const { peer } = await startRawPeerServer(cleanups, { engine, observer });
    // A hand-made client that never cancels: only the server's own timer can end this stream.
    const body = encodeInferenceRequest(
      "synthetic:latest",
      toBinary(GenerateRequestSchema, create(GenerateRequestSchema, { prompt: "x" })),
      {},
    );
    peer.write(
      Buffer.concat([helloBytes(), encodeOpenFrame(1, DataType.GENERATE_REQUEST, Method.Generate, 150, body)]),
    );
    const f = await peer.waitFor((x) => x.type === FrameType.Error && x.streamId === 1);
    expect(decodeErrorPayload(f.payload).code).toBe(Code.DeadlineExceeded);
    expect(peer.frames.some((x) => x.type === FrameType.Data)).toBe(true);
    await until(() => engine.stats().inFlight === 0 && observed.length === 1);
    expect(observed[0]?.code).toBe(Code.DeadlineExceeded);
    expect(engine.stats().cancelled).toBe(1);
  });

  it("an already-aborted signal fails at once without opening a stream", async () => {
    const engine = createSyntheticEngine();
    const { client } = await setup({ engine });
    await expect(client.list({ signal: AbortSignal.abort() })).rejects.toMatchObject({ code: Code.Canceled });
    expect(engine.stats().requests).toBe(0);
  });
});

describe("limits", () => {
  it("an overloaded guarded engine answers RESOURCE_EXHAUSTED on that stream only", async () => {
    const base = createSyntheticEngine({ tokens: 50, interTokenMs: 10 });
    const engine = guardEngine(base, createAdmission({ maxInFlight: 2, maxQueue: 0 }));
    const { client } = await setup({ engine });
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, async () => {
        try {
          let n = 0;
          for await (const c of client.generate({ model: MODEL, prompt: "x" })) if (!c.done) n++;
          return n;
        } catch (e) {
          return (e as ModelwireError).code;
        }
      }),
    );
    expect(outcomes.filter((o) => o === 50).length).toBe(2);
    expect(outcomes.filter((o) => o === Code.ResourceExhausted).length).toBe(3);
    expect((await client.version()).version).toBeTruthy();
  });

  it("the server refuses streams beyond the per-connection limit; CANCEL frees a slot at once", async () => {
    const engine = createSyntheticEngine({ tokens: 100_000, interTokenMs: 5 });
    const { peer } = await startRawPeerServer(cleanups, { engine, maxStreamsPerConnection: 2 });
    const body = encodeInferenceRequest(
      MODEL,
      toBinary(GenerateRequestSchema, create(GenerateRequestSchema, { prompt: "x" })),
      {},
    );
    const open = (id: number) => encodeOpenFrame(id, DataType.GENERATE_REQUEST, Method.Generate, 0, body);
    // A raw peer ignores the limit: OPEN 1, 3, 5 in one write; the third is refused, the connection lives on.
    peer.write(Buffer.concat([helloBytes(), open(1), open(3), open(5)]));
    const refused = await peer.waitFor((f) => f.type === FrameType.Error && f.streamId === 5);
    const e = decodeErrorPayload(refused.payload);
    expect(e.code).toBe(Code.ResourceExhausted);
    expect(e.message).toContain("limit 2");
    // CANCEL 1 and OPEN 7 in the same write: the cancelled stream's slot is free before OPEN 7 is read.
    peer.write(Buffer.concat([encodeFrame({ type: FrameType.Cancel, streamId: 1 }), open(7)]));
    await peer.waitFor((f) => f.type === FrameType.Data && f.streamId === 7);
    expect(peer.frames.some((f) => f.type === FrameType.Error && f.streamId === 7)).toBe(false);
    expect(peer.connectionError()).toBeUndefined();
  });

  it("the client never opens more streams than WELCOME allows: the excess waits and then runs", async () => {
    const engine = createSyntheticEngine({ tokens: 20, interTokenMs: 10 });
    const { client } = await setup({ engine, maxStreamsPerConnection: 3 });
    let peak = 0;
    const codes = await Promise.all(
      Array.from({ length: 6 }, async () => {
        try {
          for await (const _ of client.generate({ model: MODEL, prompt: "x" })) {
            peak = Math.max(peak, client.stats().active);
          }
          return Code.Ok;
        } catch (e) {
          return (e as ModelwireError).code;
        }
      }),
    );
    expect(codes).toEqual(Array(6).fill(Code.Ok));
    expect(peak).toBe(3);
  });

  it("a reader that stops reading bounds the server's memory: the engine is paused, not buffered", async () => {
    const engine = createSyntheticEngine({ tokens: 1_000_000, maxTokens: 1_000_000, interTokenMs: 0 });
    const { client, server } = await setup({ engine, writeHighWaterMark: 64 * 1024 }, { heartbeatMs: 0 });
    const it = client.generate({ model: MODEL, prompt: "flood" })[Symbol.asyncIterator]();
    await it.next(); // the stream is open; now the application stops reading
    // Wait until production stalls: the client stops reading its socket, TCP buffers fill, the server stops pulling.
    const held = await plateau(() => engine.stats().tokens, { tolerance: 49 });
    // Bounded by socket buffers + the high water mark + the client's queue, far below the million planned.
    expect(held).toBeLessThan(500_000);
    expect(server.stats().bytesOut).toBeLessThan(64 * 1024 * 1024);
    expect(engine.stats().inFlight).toBe(1);
    await it.return?.();
    await until(() => engine.stats().inFlight === 0);
  });
});

describe("graceful shutdown", () => {
  it("close({graceMs}) sends goaway and lets in-flight streams finish; new calls fail UNAVAILABLE", async () => {
    const engine = createSyntheticEngine({ tokens: 30, interTokenMs: 10 });
    const server = createMcpServer({ engine, tcp: { port: 0 } });
    const [addr] = await server.listen();
    const client = createMcpClient({ url: addr.url, reconnect: false, connectTimeoutMs: 2000 });
    cleanups.push(() => client.close());
    const req = create(GenerateRequestSchema, { model: MODEL, prompt: "drain me" });
    const tokens: string[] = [];
    const running = (async () => {
      for await (const c of client.generate(req)) if (!c.done) tokens.push(c.response);
    })();
    await until(() => tokens.length >= 3);
    const closed = server.close({ graceMs: 10_000 });
    await running;
    await closed;
    expect(tokens).toEqual(engine.expectedGenerate(req));
    await expect(client.version()).rejects.toMatchObject({ code: Code.Unavailable });
  });
});
