import { ServerResponse } from "node:http";
import { connect } from "node:net";
import { plateau, until } from "@modelwire/test-kit";
import { afterEach, expect, it } from "vitest";
import { type Harness, startHarness } from "./test-support/harness.js";

// Issue 19, bounded memory under overload: a streamed reply whose reader stopped used to queue one write per token
// (with its chunked-encoding framing) once the socket's kernel buffer was full, up to the 16 KiB high water mark;
// texts are now joined while a write is waiting, so only a few writes wait.

let h: Harness | undefined;
const realWrite = ServerResponse.prototype.write;
afterEach(async () => {
  ServerResponse.prototype.write = realWrite;
  await h?.stop();
  h = undefined;
});

it("a reader that stopped: only a few writes wait for the socket (one per token before)", async () => {
  h = await startHarness({}, { writeStallTimeoutMs: 0 });
  // Writes not yet taken by the socket: counted through a completion callback added to each.
  let waiting = 0;
  ServerResponse.prototype.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
    const cb = rest.find((a) => typeof a === "function") as ((e?: Error | null) => void) | undefined;
    const enc = rest.find((a) => typeof a === "string") as BufferEncoding | undefined;
    waiting++;
    return realWrite.call(this, chunk as string, enc ?? "utf8", (e?: Error | null) => {
      waiting--;
      cb?.(e);
    });
  } as typeof realWrite;
  const socket = connect(Number(new URL(h.url).port), "127.0.0.1");
  socket.on("error", () => {});
  const body = JSON.stringify({ model: "synthetic:latest", prompt: "never read", options: { num_predict: 1_000_000 } });
  socket.write(
    `POST /api/generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
  );
  socket.pause();
  try {
    await until(() => waiting > 0, 30_000);
    // The kernel buffers fill, then the server's queue, then it waits on 'drain': the count stops moving.
    const stuck = await plateau(() => waiting, { everyMs: 200, stableFor: 5, timeoutMs: 60_000 });
    expect(stuck).toBeGreaterThan(0);
    expect(stuck).toBeLessThan(20);
  } finally {
    socket.destroy();
  }
}, 90_000);
