import type { Socket } from "node:net";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, GenerateResponseSchema, ModelwireError } from "@modelwire/core";
import { createSyntheticEngine } from "@modelwire/engine";
import { encodeFrame, encodeGoaway, FrameType } from "@modelwire/mcp-codec";
import { describe, expect, it } from "vitest";
import { createMcpClient, createMcpServer } from "./index.js";
import { cleanupAfterEach } from "./test-support/harness.js";
import { scriptedServer } from "./test-support/scripted-server.js";

const cleanups = cleanupAfterEach();

const fakeServer = (onOpen: (id: number, s: Socket) => void) => scriptedServer(cleanups, onOpen);

const chunk = (text: string, done = false) =>
  toBinary(GenerateResponseSchema, create(GenerateResponseSchema, { model: "m", response: text, done }));

describe("client stream integrity", () => {
  it("a sequence gap fails the stream with DATA_LOSS (sequence_gap) instead of silently dropping a chunk", async () => {
    const url = await fakeServer((id, s) => {
      s.write(encodeFrame({ type: FrameType.Data, streamId: id, sequence: 0, payload: chunk("a") }));
      s.write(encodeFrame({ type: FrameType.Data, streamId: id, sequence: 2, payload: chunk("c") }));
      s.write(encodeFrame({ type: FrameType.End, streamId: id, sequence: 3, payload: chunk("", true) }));
    });
    const client = createMcpClient({ url, reconnect: false });
    cleanups.push(() => client.close());
    const got: string[] = [];
    const err = await (async () => {
      for await (const c of client.generate({ model: "m", prompt: "p" })) got.push(c.response);
    })().catch((e) => e);
    expect(got).toEqual(["a"]);
    expect(err).toBeInstanceOf(ModelwireError);
    expect((err as ModelwireError).code).toBe(Code.DataLoss);
    expect((err as ModelwireError).metadata.reason).toBe("sequence_gap");
  });

  it("GOAWAY fails streams above lastStreamId with UNAVAILABLE and finishes the ones below", async () => {
    const opened: { id: number; s: Socket }[] = [];
    const url = await fakeServer((id, s) => {
      opened.push({ id, s });
      if (opened.length === 2) {
        const first = opened[0];
        s.write(
          encodeFrame({
            type: FrameType.Goaway,
            streamId: 0,
            payload: encodeGoaway({ lastStreamId: first.id, code: 0, message: "bye" }),
          }),
        );
        s.write(encodeFrame({ type: FrameType.End, streamId: first.id, sequence: 0, payload: chunk("", true) }));
      }
    });
    const client = createMcpClient({ url, reconnect: false });
    cleanups.push(() => client.close());
    const run = async () => {
      const out: boolean[] = [];
      for await (const c of client.generate({ model: "m", prompt: "p" })) out.push(c.done);
      return out;
    };
    const [a, b] = await Promise.allSettled([run(), run()]);
    expect(a).toEqual({ status: "fulfilled", value: [true] });
    expect(b.status).toBe("rejected");
    expect(((b as PromiseRejectedResult).reason as ModelwireError).code).toBe(Code.Unavailable);
  });
});

describe("pool", () => {
  it("spreads streams over poolSize connections", async () => {
    const engine = createSyntheticEngine({ tokens: 10, interTokenMs: 10 });
    const server = createMcpServer({ engine, tcp: { port: 0 } });
    const [addr] = await server.listen();
    const client = createMcpClient({ url: addr.url, poolSize: 2 });
    cleanups.push(async () => {
      await client.close();
      await server.close({ graceMs: 0 });
    });
    let maxConnections = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for await (const _ of client.generate({ model: "synthetic:latest", prompt: "p" })) {
          maxConnections = Math.max(maxConnections, server.stats().connections);
        }
      }),
    );
    expect(maxConnections).toBe(2);
    expect(client.stats()).toMatchObject({ open: 2, opened: 2, reconnects: 0 });
  });
});
