import { connect } from "node:net";
import { until } from "@modelwire/test-kit";
import { Ollama } from "ollama";
import { afterEach, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "./test-support/harness.js";

const MODEL = "synthetic:latest";
// Long enough that the reply cannot fit in the socket buffers: the server must wait on the reader.
const LONG = { num_predict: 1_000_000 };

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

describe("a client that stops reading (write-stall timeout)", () => {
  it("the official ollama client: the call is cut, its slot freed, and on reading again it gets the stall error, never a done chunk", async () => {
    h = await startHarness({}, { writeStallTimeoutMs: 400 });
    const server = h.server;
    const ollama = new Ollama({ host: h.url });
    const stream = await ollama.generate({ model: MODEL, prompt: "stall", stream: true, options: LONG });
    const it = stream[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.done).toBe(false);
    // The application stops reading; the client's buffers fill, then the socket's, then the server waits.
    await until(() => server.stats().stalled === 1, 60_000);
    await until(() => server.stats().inFlight === 0, 10_000);
    let chunks = 1;
    let sawDone = false;
    let error: unknown;
    try {
      for (let r = await it.next(); !r.done; r = await it.next()) {
        chunks++;
        if (r.value.done) sawDone = true;
      }
    } catch (e) {
      error = e;
    }
    expect(sawDone).toBe(false);
    expect(chunks).toBeGreaterThan(1);
    expect(String(error)).toMatch(/stream stalled: the client read nothing for 400 ms \(writeStallTimeoutMs\)/);
    // A fresh call is served in full.
    const ok = await ollama.generate({ model: MODEL, prompt: "after", stream: false });
    expect(ok.done).toBe(true);
  }, 120_000);

  it("a socket that never reads again is destroyed after a second stall period; a slow reader on the same server is not cut", async () => {
    h = await startHarness({}, { writeStallTimeoutMs: 1000 });
    const server = h.server;
    const port = Number(new URL(h.url).port);
    const socket = connect(port, "127.0.0.1");
    socket.on("error", () => {});
    const closed = new Promise<void>((r) => socket.once("close", () => r()));
    const body = JSON.stringify({ model: MODEL, prompt: "never read", options: LONG });
    socket.write(
      `POST /api/generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    socket.pause();
    // Meanwhile a reply of several MB read by a real client that pauses 200 ms every 5,000 chunks: the server
    // waits on it again and again, but it always makes progress within the stall period.
    const ollama = new Ollama({ host: h.url });
    const slow = (async () => {
      let n = 0;
      let done = false;
      for await (const c of await ollama.generate({
        model: MODEL,
        prompt: "reader",
        stream: true,
        options: { num_predict: 30_000 },
      })) {
        if (++n % 5000 === 0) await new Promise((r) => setTimeout(r, 200));
        done ||= c.done;
      }
      return { n, done };
    })();
    await until(() => (server.stats().stalled ?? 0) >= 1, 60_000);
    // The second stall period passes with nothing read: the connection is destroyed (seen on the server: the
    // paused socket itself notices nothing until it reads).
    await until(() => server.stats().stalled === 2, 60_000);
    await until(() => server.stats().connections <= 1, 10_000);
    let received = "";
    socket.on("data", (d: Buffer) => {
      received += d.toString("latin1");
    });
    socket.resume();
    await closed;
    expect(received).toMatch(/^HTTP\/1\.1 200/);
    expect(received).not.toContain('"done":true');
    const r = await slow;
    expect(r.done).toBe(true);
    expect(r.n).toBeGreaterThanOrEqual(30_000);
    await until(() => server.stats().inFlight === 0, 10_000);
  }, 120_000);
});
