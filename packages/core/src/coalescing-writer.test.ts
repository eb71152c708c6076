import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import {
  COALESCE_BYTES,
  createCoalescingWriter,
  joinBuffers,
  joinTexts,
  type WriteTarget,
} from "./coalescing-writer.js";

/** A target whose writes complete only when `complete()` is called (a peer that reads nothing until then). */
function stuckTarget(highWaterMark = 16 * 1024) {
  const writes: Buffer[] = [];
  const callbacks: Array<() => void> = [];
  let queuedBytes = 0;
  const target: WriteTarget<Buffer> = {
    write(chunk, callback) {
      writes.push(chunk);
      queuedBytes += chunk.length;
      callbacks.push(() => {
        queuedBytes -= chunk.length;
        callback();
      });
      return queuedBytes < highWaterMark;
    },
  };
  return {
    target,
    writes,
    complete: () => {
      for (const f of callbacks.splice(0)) f();
    },
  };
}

const token = (i: number) => Buffer.from(`tok${String(i).padStart(5, "0")}-`.padEnd(40, "x"));

describe("createCoalescingWriter", () => {
  it("a peer that reads nothing: 400 tokens of 40 bytes become a handful of write requests, up to the high water mark", () => {
    const { target, writes } = stuckTarget();
    const w = createCoalescingWriter(target, joinBuffers);
    let accepted = 0;
    for (let i = 0; i < 1_000; i++) {
      accepted++;
      if (!w.write(token(i))) break; // the caller waits for 'drain' here
    }
    // One write per token would queue 410 requests before the 16 KiB mark; joined, about 16 KiB / 4 KiB of them.
    expect(writes.length).toBeLessThanOrEqual(1 + Math.ceil((16 * 1024) / COALESCE_BYTES));
    expect(w.queued).toBe(writes.length);
    // Backpressure as before: it stopped at the high water mark, not earlier and not never.
    expect(Buffer.concat(writes).length).toBeGreaterThanOrEqual(16 * 1024);
    expect(accepted).toBeLessThan(1_000);
    expect(Buffer.concat(writes).toString()).toBe(
      Buffer.concat(Array.from({ length: accepted }, (_, i) => token(i))).toString(),
    );
  });

  it("writes at once while nothing is queued, holds while a write is queued, and writes what it held when it completes", () => {
    const { target, writes, complete } = stuckTarget();
    const w = createCoalescingWriter(target, joinBuffers);
    w.write(token(0));
    expect(writes).toHaveLength(1);
    w.write(token(1));
    w.write(token(2));
    expect(writes).toHaveLength(1);
    complete();
    expect(writes.map((b) => b.toString())).toEqual([token(0).toString(), `${token(1)}${token(2)}`]);
    complete();
    expect(w.queued).toBe(0);
    w.write(token(3));
    expect(writes).toHaveLength(3); // nothing queued: no hold
    w.write(token(4));
    w.flush(); // the call ends: what is held goes before the end
    expect(writes.map((b) => b.toString()).at(-1)).toBe(token(4).toString());
  });
});

describe("texts", () => {
  it("are joined as strings, in order", () => {
    const writes: string[] = [];
    const callbacks: Array<() => void> = [];
    const w = createCoalescingWriter<string>(
      {
        write(chunk, callback) {
          writes.push(chunk);
          callbacks.push(() => callback());
          return true;
        },
      },
      joinTexts,
    );
    for (const t of ["a", "b", "c", "d"]) w.write(t);
    for (const f of callbacks.splice(0)) f();
    expect(writes).toEqual(["a", "bcd"]);
  });
});

describe("on a real HTTP/2 stream whose client reads nothing, then everything", () => {
  it("every byte arrives in order and the stream ends", async () => {
    const total = 4_000;
    const server = http2.createServer();
    server.on("stream", (stream) => {
      stream.respond({ ":status": 200 });
      const w = createCoalescingWriter(stream as unknown as WriteTarget<Buffer>, joinBuffers);
      let i = 0;
      const pump = () => {
        while (i < total) {
          if (!w.write(token(i++))) {
            stream.once("drain", pump);
            return;
          }
        }
        w.flush();
        stream.end();
      };
      pump();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const session = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    try {
      const req = session.request({ ":path": "/" });
      req.pause();
      req.end();
      await new Promise((r) => setTimeout(r, 300)); // the server fills the window and its queue meanwhile
      const chunks: Buffer[] = [];
      req.on("data", (d: Buffer) => chunks.push(d));
      req.resume();
      await new Promise((r) => req.once("end", r));
      const expected = Buffer.concat(Array.from({ length: total }, (_, i) => token(i)));
      expect(Buffer.concat(chunks).equals(expected)).toBe(true);
    } finally {
      session.close();
      await new Promise((r) => server.close(r));
    }
  });
});
