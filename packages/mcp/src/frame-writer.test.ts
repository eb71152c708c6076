import { createServer, connect as netConnect, type Socket } from "node:net";
import { DataType } from "@modelwire/core";
import { encodeFrame, FrameType, Method } from "@modelwire/mcp-codec";
import { allocFrame, encodeRequestOpenFrameParts, LARGE_INPUT_BYTES } from "@modelwire/mcp-codec/internal";
import { describe, expect, it } from "vitest";
import { createFrameWriter } from "./frame-writer.js";
import { cleanupAfterEach } from "./test-support/harness.js";

const cleanups = cleanupAfterEach();

/** A socket stand-in that records what is written. */
function fakeSocket() {
  const writes: Uint8Array[] = [];
  const socket = {
    destroyed: false,
    writable: true,
    writableLength: 0,
    on: () => socket,
    cork: () => {},
    uncork: () => {},
    write: (b: Uint8Array) => {
      writes.push(b);
      return true;
    },
  };
  return { socket: socket as unknown as Socket, writes };
}

async function socketPair(): Promise<{ a: Socket; received: () => Buffer; bytes: () => number }> {
  const chunks: Buffer[] = [];
  const server = createServer((s) => s.on("data", (d) => chunks.push(d)));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  const a = netConnect({ host: "127.0.0.1", port });
  await new Promise<void>((r) => a.once("connect", r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        a.destroy();
        server.close(() => r());
      }),
  );
  return { a, received: () => Buffer.concat(chunks), bytes: () => chunks.reduce((n, c) => n + c.length, 0) };
}

describe("frame writer and large frames", () => {
  it("writes a large buffer as it is (corked with its neighbours), the stream's bytes unchanged", async () => {
    const { a, received, bytes } = await socketPair();
    const writes: Uint8Array[] = [];
    let corks = 0;
    const origWrite = a.write.bind(a);
    const origCork = a.cork.bind(a);
    a.write = ((chunk: Uint8Array, ...rest: never[]) => {
      writes.push(chunk);
      return origWrite(chunk, ...rest);
    }) as typeof a.write;
    a.cork = () => {
      corks++;
      origCork();
    };
    const w = createFrameWriter(a);
    const small1 = encodeFrame({ type: FrameType.Ping, streamId: 0, payload: new Uint8Array(8).fill(1) });
    const small2 = encodeFrame({ type: FrameType.Cancel, streamId: 3 });
    const big = new Uint8Array(300 * 1024).fill(0xab);
    const parts = encodeRequestOpenFrameParts(5, DataType.TEXT, Method.Generate, 0, "m", big, { k: "v" });
    const small3 = encodeFrame({ type: FrameType.Cancel, streamId: 7 });
    w.write(small1);
    w.write(small2);
    w.writeParts(parts);
    w.write(small3);
    await new Promise((r) => setImmediate(r));
    const want = Buffer.concat([small1, small2, ...parts, small3]);
    expect(w.bytesOut).toBe(want.length);
    expect(writes).toContain(big); // handed over by reference, not concatenated
    expect(writes.every((b) => b === big || b.length < LARGE_INPUT_BYTES)).toBe(true);
    expect(corks).toBe(1);
    const end = Date.now() + 10_000;
    while (bytes() < want.length && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    expect(received().equals(want)).toBe(true);
  });

  it("small frames of one tick still go out as one concatenated write, without corking", async () => {
    const { a, received, bytes } = await socketPair();
    const writes: Uint8Array[] = [];
    const origWrite = a.write.bind(a);
    a.write = ((chunk: Uint8Array, ...rest: never[]) => {
      writes.push(chunk);
      return origWrite(chunk, ...rest);
    }) as typeof a.write;
    const w = createFrameWriter(a);
    const frames = [1, 3, 5].map((id) => encodeFrame({ type: FrameType.Cancel, streamId: id }));
    for (const f of frames) w.write(f);
    await new Promise((r) => setImmediate(r));
    expect(writes).toHaveLength(1);
    const want = Buffer.concat(frames);
    const end = Date.now() + 10_000;
    while (bytes() < want.length && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    expect(received().equals(want)).toBe(true);
  });
});

describe("frame writer batches", () => {
  it("writes a burst in batches of maxBatchFrames frames, the rest at the end of the tick", async () => {
    const { socket, writes } = fakeSocket();
    const w = createFrameWriter(socket, 1 << 20, 2);
    const frames = [1, 2, 3, 4, 5].map((i) => new Uint8Array(3).fill(i));
    for (const f of frames) w.write(f);
    expect(writes.map((b) => [...b])).toEqual([
      [1, 1, 1, 2, 2, 2],
      [3, 3, 3, 4, 4, 4],
    ]);
    await new Promise((r) => process.nextTick(r));
    expect(writes.map((b) => b.length)).toEqual([6, 6, 3]);
  });

  it("writes frames cut in a row from a slab as one view, with the same bytes as a copy", async () => {
    const { socket, writes } = fakeSocket();
    const w = createFrameWriter(socket, 1 << 20, 100);
    const frames = [30, 58, 80, 7].map((n, i) => allocFrame(n).fill(i + 1));
    for (const f of frames) w.write(f);
    await new Promise((r) => process.nextTick(r));
    expect(writes).toHaveLength(1);
    expect([...writes[0]]).toEqual(frames.flatMap((f) => [...f]));
    // No copy: the written view shares the frames' memory.
    expect(writes[0].buffer).toBe(frames[0].buffer);
    expect(w.bytesOut).toBe(175);
  });

  it("gives a backed-up socket a compact copy, so a stalled peer cannot pin a slab", async () => {
    const { socket, writes } = fakeSocket();
    (socket as unknown as { writableLength: number }).writableLength = 1000;
    const w = createFrameWriter(socket, 1 << 20, 100);
    const frames = [58, 80].map((n, i) => allocFrame(n).fill(i + 1));
    for (const f of frames) w.write(f);
    await new Promise((r) => process.nextTick(r));
    expect(writes).toHaveLength(1);
    expect([...writes[0]]).toEqual(frames.flatMap((f) => [...f]));
    expect(writes[0].buffer).not.toBe(frames[0].buffer);
    expect(writes[0].buffer.byteLength).toBeLessThan(64 * 1024);
  });

  it("copies frames that are not adjacent, keeping their order", async () => {
    const { socket, writes } = fakeSocket();
    const w = createFrameWriter(socket, 1 << 20, 100);
    const a = allocFrame(10).fill(1);
    allocFrame(5); // a gap
    const b = allocFrame(10).fill(2);
    const c = new Uint8Array(3).fill(3);
    w.write(b);
    w.write(a);
    w.write(c);
    await new Promise((r) => process.nextTick(r));
    expect(writes).toHaveLength(1);
    expect([...writes[0]]).toEqual([...b, ...a, ...c]);
    expect(writes[0].buffer).not.toBe(a.buffer);
  });
});
