import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ModelwireError } from "@modelwire/core";
import { createSyntheticEngine } from "@modelwire/engine";
import { describe, expect, it } from "vitest";
import { createMcpClient, createMcpServer } from "./index.js";
import { startFreezeProxy } from "./test-support/freeze-proxy.js";
import { cleanupAfterEach } from "./test-support/harness.js";

const MODEL = "synthetic:latest";
const cleanups = cleanupAfterEach();

function startChildServer(path: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(import.meta.dirname, "test-support/server-process.ts"), path],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (d) => {
      out += d;
      if (out.includes("ready")) resolve(child);
    });
    child.once("exit", (code) => reject(new Error(`server process exited early (${code})`)));
  });
}

describe("dead peers", () => {
  it("a server that hangs silently fails in-flight streams with UNAVAILABLE within two heartbeats", async () => {
    const engine = createSyntheticEngine({ tokens: 100_000, interTokenMs: 5 });
    const server = createMcpServer({ engine, tcp: { port: 0 } });
    const [addr] = await server.listen();
    const port = Number(new URL(addr.url).port);
    const proxy = await startFreezeProxy(port);
    const heartbeatMs = 300;
    const client = createMcpClient({ url: proxy.url, heartbeatMs, reconnect: false });
    cleanups.push(async () => {
      await client.close();
      await proxy.close();
      await server.close({ graceMs: 0 });
    });
    let frozenAt = 0;
    let got = 0;
    const err = await (async () => {
      for await (const c of client.generate({ model: MODEL, prompt: "x" })) {
        if (!c.done && ++got === 10) {
          proxy.freeze();
          frozenAt = performance.now();
        }
      }
    })().catch((e) => e);
    const elapsed = performance.now() - frozenAt;
    expect(frozenAt, "the stream failed before the proxy froze").toBeGreaterThan(0);
    expect(err).toBeInstanceOf(ModelwireError);
    expect((err as ModelwireError).code).toBe(Code.Unavailable);
    expect((err as ModelwireError).metadata.reason).toBe("heartbeat_timeout");
    // Detection bound is two intervals after the last frame; allow generous slack for a loaded machine.
    expect(elapsed).toBeGreaterThanOrEqual(heartbeatMs);
    expect(elapsed).toBeLessThan(2 * heartbeatMs + 1500);
  });

  it("a killed server fails the stream with UNAVAILABLE promptly, then the client reconnects to its successor", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mcp-kill-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, "s.sock");
    const first = await startChildServer(path);
    const client = createMcpClient({
      url: `unix:${path}`,
      heartbeatMs: 500,
      reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
    });
    cleanups.push(() => client.close());
    let got = 0;
    let killedAt = 0;
    const err = await (async () => {
      for await (const c of client.generate({ model: MODEL, prompt: "x" })) {
        if (!c.done && ++got === 5) {
          first.kill("SIGKILL");
          killedAt = performance.now();
        }
      }
    })().catch((e) => e);
    expect((err as ModelwireError).code).toBe(Code.Unavailable);
    expect(performance.now() - killedAt).toBeLessThan(2 * 500 + 1500);
    expect(["connecting", "reconnecting", "idle"]).toContain(client.stats().extra?.state);

    await startChildServer(path);
    // The next call reconnects (background attempts with backoff may already have done it).
    const deadline = Date.now() + 10_000;
    let version: string | undefined;
    while (!version && Date.now() < deadline) {
      version = await client.version().then(
        (v) => v.version,
        () => undefined,
      );
      if (!version) await new Promise((r) => setTimeout(r, 100));
    }
    expect(version).toBeTruthy();
    expect(client.stats().reconnects).toBeGreaterThanOrEqual(1);
    expect(client.stats().opened).toBe(client.stats().reconnects! + 1);
    expect(client.stats().extra?.state).toBe("ready");
  });

  it("a refused connection fails the call with UNAVAILABLE (no hang)", async () => {
    const server = createMcpServer({ engine: createSyntheticEngine(), tcp: { port: 0 } });
    const [addr] = await server.listen();
    await server.close({ graceMs: 0 });
    const client = createMcpClient({ url: addr.url, reconnect: false });
    cleanups.push(() => client.close());
    await expect(client.list()).rejects.toMatchObject({ code: Code.Unavailable });
  });

  it("a stream that outlives the grace period fails with the server's reason, not a bare close", async () => {
    const server = createMcpServer({
      engine: createSyntheticEngine({ tokens: 400, interTokenMs: 20 }),
      tcp: { port: 0 },
    });
    const [addr] = await server.listen();
    const client = createMcpClient({ url: addr.url, reconnect: false });
    cleanups.push(() => client.close());
    let chunks = 0;
    let closing: Promise<void> | undefined;
    const outcome = (async () => {
      for await (const c of client.generate({ model: MODEL, prompt: "long" })) {
        if (c.done) return "completed";
        if (++chunks === 1) closing = server.close({ graceMs: 200 });
      }
      return "ended without done";
    })().catch((e: ModelwireError) => e);
    const err = await outcome;
    await closing;
    expect(err).toBeInstanceOf(ModelwireError);
    expect((err as ModelwireError).code).toBe(Code.Unavailable);
    expect((err as ModelwireError).message).toMatch(/grace period is over/);
    expect(chunks).toBeLessThan(400);
  });

  it("measures RTT from heartbeats", async () => {
    const server = createMcpServer({ engine: createSyntheticEngine(), tcp: { port: 0 } });
    const [addr] = await server.listen();
    const client = createMcpClient({ url: addr.url, heartbeatMs: 100 });
    cleanups.push(async () => {
      await client.close();
      await server.close({ graceMs: 0 });
    });
    await client.version();
    const end = Date.now() + 5000;
    while (client.stats().extra?.rttMs === undefined && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(typeof client.stats().extra?.rttMs).toBe("number");
    expect(Number(client.stats().extra?.rttMs)).toBeGreaterThanOrEqual(0);
  });
});
