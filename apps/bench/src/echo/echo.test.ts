import type { Socket } from "node:net";
import { create, isMessage, toBinary } from "@bufbuild/protobuf";
import {
  type CallOptions,
  type GenerateRequestInit,
  GenerateRequestSchema,
  type GenerateResponse,
  GenerateResponseSchema,
  type InferenceClient,
} from "@modelwire/core";
import { createSyntheticEngine } from "@modelwire/engine";
import { until } from "@modelwire/test-kit";
import { afterEach, describe, expect, it } from "vitest";
import { runStreamCall } from "../stream-call.js";
import { createEchoClient } from "./echo-client.js";
import { createEchoServer } from "./echo-server.js";
import { createFrameDecoder, createTickWriter, decodeRequest, encodeFrame, encodeRequest } from "./frame.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function start(engineOpts = {}) {
  const engine = createSyntheticEngine(engineOpts);
  const server = createEchoServer({ engine });
  const [addr] = await server.listen();
  const client = createEchoClient({ url: addr.url, connections: 2 });
  cleanups.push(
    () => client.close(),
    () => server.close(),
  );
  return { engine, server, client };
}

describe("echo floor", () => {
  it("decodes frames split at any byte", () => {
    const bytes = Buffer.concat([encodeFrame(1, 2, "héllo"), encodeFrame(7, 3)]);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const d = createFrameDecoder();
      const frames = [...d(bytes.subarray(0, cut)), ...d(bytes.subarray(cut))];
      expect(frames.map((f) => [f.streamId, f.type, f.payload.toString()])).toEqual([
        [1, 2, "héllo"],
        [7, 3, ""],
      ]);
    }
    const d = createFrameDecoder();
    const req = decodeRequest(encodeRequest("m", "hi", 3, [new Uint8Array(10), new Uint8Array(5)]));
    expect(req).toEqual({ model: "m", prompt: "hi", numPredict: 3, imageBytes: 15 });
    expect(() => decodeRequest(Buffer.from([0, 0, 0, 99, 1]))).toThrow(RangeError);
    const huge = Buffer.alloc(9);
    huge.writeUInt32BE(2 ** 30, 0);
    expect(() => d(huge)).toThrow(RangeError);
  });

  it("yields the same GenerateResponse messages protobuf-es would build (token chunks, then the final one)", async () => {
    const { client } = await start({ tokens: 3 });
    const got: GenerateResponse[] = [];
    for await (const c of client.generate({ model: "synthetic:latest", prompt: "p", options: { numPredict: 3 } }))
      got.push(c);
    expect(got).toHaveLength(4);
    for (const c of got.slice(0, 3)) {
      expect(c.response).not.toBe("");
      expect(isMessage(c, GenerateResponseSchema)).toBe(true);
      expect(c).toEqual(create(GenerateResponseSchema, { response: c.response }));
    }
    expect(got[3]).toEqual(create(GenerateResponseSchema, { done: true, doneReason: "stop" }));
    expect(toBinary(GenerateResponseSchema, got[0])).toEqual(
      toBinary(GenerateResponseSchema, create(GenerateResponseSchema, { response: got[0].response })),
    );
  });

  it("streams exactly the synthetic engine's tokens, concurrently, and counts bytes", async () => {
    const { engine, server, client } = await start({ tokens: 8 });
    const items = Array.from({ length: 20 }, (_, i) => {
      const request = {
        model: "synthetic:latest",
        prompt: `prompt ${i}`,
        options: { numPredict: 5 + i },
        images: [new Uint8Array(1000)],
      };
      return { request, expected: engine.expectedGenerate(create(GenerateRequestSchema, request)) };
    });
    const outs = await Promise.all(items.map((it, i) => runStreamCall(client, it, performance.now(), i)));
    for (const [i, o] of outs.entries()) {
      expect(o.code).toBe("ok");
      expect(o.verify?.ok).toBe(true);
      expect(o.metrics.tokens).toBe(5 + i);
    }
    const s = server.stats();
    expect(s.bytesIn).toBeGreaterThan(20 * 1000); // images travel raw
    expect(s.bytesOut).toBeGreaterThan(outs.reduce((n, o) => n + o.metrics.tokens, 0) * 10);
    expect(s.inFlight).toBe(0);
  });

  it("reports an engine error with its code and cancels on abort", async () => {
    const { client, engine } = await start({ interTokenMs: 50, tokens: 100 });
    const bad = await runStreamCall(client, { request: { model: "nope", prompt: "x" } }, performance.now(), 0);
    expect(bad.code).toBe("not_found");
    // Abort once the first token has arrived (not after a fixed time, which a loaded machine may not reach).
    const ac = new AbortController();
    const abortAfterFirst = {
      async *generate(req: GenerateRequestInit, opts?: CallOptions) {
        for await (const c of client.generate(req, opts)) {
          yield c;
          if (!c.done) ac.abort();
        }
      },
    } as Pick<InferenceClient, "generate"> as InferenceClient;
    const o = await runStreamCall(
      abortAfterFirst,
      { request: { model: "synthetic:latest", prompt: "x" } },
      performance.now(),
      1,
      { signal: ac.signal },
    );
    expect(o.code).toBe("canceled");
    expect(o.metrics.tokens).toBe(1);
    // The server hears of the cancel and the engine's stream ends long before its 100 tokens × 50 ms.
    await until(() => engine.stats().inFlight === 0);
    expect(engine.stats()).toMatchObject({ cancelled: 1 });
    expect(engine.stats().tokens).toBeLessThan(100);
  });
});

describe("the floor's tick writer", () => {
  it("corks once per tick, so every frame of a tick leaves in one writev, and counts the bytes", async () => {
    const calls: string[] = [];
    const fake = {
      cork: () => calls.push("cork"),
      uncork: () => calls.push("uncork"),
      write: (b: Buffer) => calls.push(`write ${b.length}`),
    };
    let bytes = 0;
    const write = createTickWriter(fake as unknown as Socket, (n) => {
      bytes += n;
    });
    write(Buffer.alloc(3));
    write(Buffer.alloc(4));
    expect(calls).toEqual(["cork", "write 3", "write 4"]);
    await new Promise((r) => process.nextTick(r));
    write(Buffer.alloc(5));
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual(["cork", "write 3", "write 4", "uncork", "cork", "write 5", "uncork"]);
    expect(bytes).toBe(12);
  });
});
