import { spawn } from "node:child_process";
import { join } from "node:path";
import { createSyntheticEngine } from "@modelwire/engine";
import { describe, expect, it } from "vitest";
import { createMcpClient, createMcpServer } from "./index.js";
import { cleanupAfterEach } from "./test-support/harness.js";

const cleanups = cleanupAfterEach();

/** Spawns a test-support script in its own process; resolves with its stdout so far once `ready` matches it. */
function spawnPeer(name: string, args: (string | number)[], ready: RegExp): Promise<{ out: () => string }> {
  const script = join(import.meta.dirname, "test-support", name);
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args.map(String)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  let out = "";
  return new Promise((resolve, reject) => {
    child.stdout?.on("data", (d) => {
      out += d;
      if (ready.test(out)) resolve({ out: () => out });
    });
    child.once("exit", (code) => reject(new Error(`${name} exited early (${code})`)));
  });
}

/** Blocks this thread (timers, I/O, everything) for `ms`, as a long synchronous task or a GC pause would. */
const blockThread = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

describe("a client whose own thread was busy", () => {
  it("reads the frames that arrived meanwhile before it calls a live server dead", async () => {
    // The server keeps writing a chunk every 10 ms while this thread is blocked for 3 heartbeats. When the thread
    // wakes, the dead-peer timer is due (the timers phase runs before the poll phase reads the socket), yet the
    // socket holds fresh frames: the stream must go on, not fail with heartbeat_timeout.
    const heartbeatMs = 300;
    const peer = await spawnPeer("ticking-server-process.ts", [heartbeatMs, 60], /port \d+/);
    const url = `tcp://127.0.0.1:${/port (\d+)/.exec(peer.out())?.[1]}`;
    const client = createMcpClient({ url, heartbeatMs, reconnect: false });
    cleanups.push(() => client.close());
    let got = 0;
    let blocked = false;
    for await (const c of client.generate({ model: "m", prompt: "p" })) {
      if (c.done) break;
      if (++got === 5) {
        blockThread(3 * heartbeatMs);
        blocked = true;
      }
    }
    expect(blocked).toBe(true);
    expect(got).toBe(60);
    expect(client.stats().extra?.state).toBe("ready");
  });

  it("as a server, reads the PINGs that arrived meanwhile before it drops a live client", async () => {
    // The client (its own process) proposes a 200 ms heartbeat and pings every 50 ms; the server's idle limit is
    // 3 heartbeats. This thread (the server's) is blocked for 5 heartbeats: the PINGs wait in the socket.
    const server = createMcpServer({ engine: createSyntheticEngine(), tcp: { port: 0 } });
    const [addr] = await server.listen();
    cleanups.push(() => server.close({ graceMs: 0 }));
    const peer = await spawnPeer("pinging-client-process.ts", [new URL(addr.url).port, 200], /ready/);
    const helloBytes = server.stats().bytesIn;
    const pinged = () => server.stats().bytesIn >= helloBytes + 3 * 28;
    for (let i = 0; i < 200 && !pinged(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(pinged(), "the client's PINGs reach the server before the block").toBe(true);
    blockThread(1000);
    await new Promise((r) => setTimeout(r, 200));
    expect(peer.out()).not.toContain("closed");
    expect(server.stats().connections).toBe(1);
  });

  it("an application that stops reading for longer than two heartbeats does not make the client call the server dead", async () => {
    // The client pauses its socket once maxQueuedChunks wait for the application; the silence that follows is the
    // client's own, not the server's. After 5 heartbeats without reading, the rest of the stream arrives intact.
    const server = createMcpServer({ engine: createSyntheticEngine({ tokens: 400 }), tcp: { port: 0 } });
    const [addr] = await server.listen();
    const heartbeatMs = 200;
    const client = createMcpClient({ url: addr.url, heartbeatMs, maxQueuedChunks: 8, reconnect: false });
    cleanups.push(async () => {
      await client.close();
      await server.close({ graceMs: 0 });
    });
    let got = 0;
    let done = false;
    for await (const c of client.generate({ model: "synthetic:latest", prompt: "p" })) {
      if (c.done) done = true;
      else if (++got === 1) await new Promise((r) => setTimeout(r, 5 * heartbeatMs));
    }
    expect(done).toBe(true);
    expect(got).toBe(400);
  });
});
