import * as net from "node:net";
import { createSyntheticEngine } from "@modelwire/engine";
import { testTls } from "@modelwire/test-kit";
import { describe, expect, it } from "vitest";
import { createMcpServer, type McpServerOptions } from "./index.js";
import { cleanupAfterEach } from "./test-support/harness.js";

const cleanups = cleanupAfterEach();

/** An MCP server on TLS only; resolves with its port. */
async function serveTls(opts: Partial<McpServerOptions> = {}): Promise<number> {
  const server = createMcpServer({
    engine: createSyntheticEngine({ tokens: 4 }),
    tls: { port: 0, key: testTls.key, cert: testTls.cert },
    ...opts,
  });
  const [addr] = await server.listen();
  cleanups.push(() => server.close({ graceMs: 0 }));
  return Number(new URL(addr.url).port);
}

/** A plain TCP connection to the TLS port that never sends a ClientHello; `closed` resolves when the server ends it. */
function silent(port: number): Promise<{ closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1");
    cleanups.push(() => void s.destroy());
    s.on("error", () => {});
    s.once("connect", () => {
      const t0 = performance.now();
      resolve({ closed: new Promise((r) => s.once("close", () => r(performance.now() - t0))) });
    });
    s.once("close", () => reject(new Error("closed before connect")));
  });
}

describe("MCP TLS listener: what it holds before a handshake is done", () => {
  // Before the fix the listener kept Node's default handshakeTimeout (120 s), not the server's 10 s HELLO limit
  // (found by scripts/idle-close.mjs --phase tls, 2026-12-02).
  it("closes a TCP connection that sends no ClientHello after handshakeTimeoutMs", async () => {
    const port = await serveTls({ handshakeTimeoutMs: 300 });
    const { closed } = await silent(port);
    const ms = await closed;
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(ms).toBeLessThan(15_000);
  }, 20_000);

  it("takes at most maxConnections + 64 sockets still in their handshake; the next is closed at once", async () => {
    const port = await serveTls({ maxConnections: 1, handshakeTimeoutMs: 60_000 });
    const held: { closed: Promise<number> }[] = [];
    for (let i = 0; i < 65; i++) held.push(await silent(port));
    const extra = await silent(port);
    expect(await extra.closed).toBeLessThan(10_000);
    // The 65 within the backstop are still open (their handshake limit is 60 s).
    const still = await Promise.race([
      Promise.race(held.map((h) => h.closed)).then(() => "one closed"),
      new Promise((r) => setTimeout(() => r("open"), 200)),
    ]);
    expect(still).toBe("open");
  }, 20_000);
});
