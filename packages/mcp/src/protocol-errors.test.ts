import { Code } from "@modelwire/core";
import { createSyntheticEngine } from "@modelwire/engine";
import { encodeFrame, encodeOpenFrame, FrameType, Method } from "@modelwire/mcp-codec";
import { describe, expect, it } from "vitest";
import sessionVectors from "../../mcp-codec/vectors/session.json" with { type: "json" };
import { createMcpClient, createMcpServer } from "./index.js";
import { cleanupAfterEach } from "./test-support/harness.js";
import { connectRaw, helloBytes } from "./test-support/raw-peer.js";

const MODEL = "synthetic:latest";
const cleanups = cleanupAfterEach();

async function setup(authToken?: string, handshakeTimeoutMs?: number) {
  const engine = createSyntheticEngine({ tokens: 60, interTokenMs: 10 });
  const server = createMcpServer({ engine, tcp: { port: 0 }, maxFrameSize: 4096, authToken, handshakeTimeoutMs });
  const [addr] = await server.listen();
  const port = Number(new URL(addr.url).port);
  const client = createMcpClient({ url: addr.url, authToken });
  cleanups.push(async () => {
    await client.close();
    await server.close({ graceMs: 100 });
  });
  return { engine, server, client, port };
}

const fromHex = (h: string) => Uint8Array.from(Buffer.from(h, "hex"));

/** Starts a healthy stream on the good client and returns a promise of its token count. */
function healthyStream(client: ReturnType<typeof createMcpClient>) {
  return (async () => {
    let n = 0;
    for await (const c of client.generate({ model: MODEL, prompt: "keep going" })) if (!c.done) n++;
    return n;
  })();
}

const cases: { name: string; bytes: () => Uint8Array; reason: string; code: Code }[] = [
  {
    name: "garbage bytes",
    bytes: () => new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
    reason: "bad_magic",
    code: Code.InvalidArgument,
  },
  {
    name: "an oversized frame",
    bytes: () =>
      Buffer.concat([
        helloBytes(),
        encodeFrame({ type: FrameType.Open, streamId: 1, payload: new Uint8Array(5000) }).subarray(0, 20),
      ]),
    reason: "frame_too_large",
    code: Code.ResourceExhausted,
  },
  {
    name: "an unknown frame type",
    bytes: () => {
      const f = encodeFrame({ type: FrameType.Cancel, streamId: 1 });
      f[3] = 0x42;
      return Buffer.concat([helloBytes(), f]);
    },
    reason: "unknown_type",
    code: Code.InvalidArgument,
  },
  {
    name: "a reused stream id",
    bytes: () => {
      const open = encodeOpenFrame(1, 0, Method.List, 0, new Uint8Array(0));
      return Buffer.concat([helloBytes(), open, open]);
    },
    reason: "stream_id_reused",
    code: Code.InvalidArgument,
  },
];

describe("connection-level protocol errors", () => {
  for (const c of cases) {
    it(`${c.name} -> ERROR on stream 0 and close, while another connection keeps streaming`, async () => {
      const { client, port, server } = await setup();
      const healthy = healthyStream(client);
      await new Promise((r) => setTimeout(r, 50));
      const peer = await connectRaw(port);
      peer.write(c.bytes());
      await peer.closed;
      const e = peer.connectionError();
      expect(e).toBeDefined();
      expect(e?.code).toBe(c.code);
      expect(e?.metadata.reason).toBe(c.reason);
      expect(await healthy).toBe(60);
      expect((await client.list()).models.length).toBeGreaterThan(0);
      const end = Date.now() + 5000;
      while (server.stats().connections !== 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      expect(server.stats().connections).toBe(1);
    });
  }

  it("refuses a wrong auth token with UNAUTHENTICATED at the handshake", async () => {
    const server = createMcpServer({ engine: createSyntheticEngine(), tcp: { port: 0 }, authToken: "abc" });
    const [addr] = await server.listen();
    cleanups.push(() => server.close({ graceMs: 0 }));
    const peer = await connectRaw(Number(new URL(addr.url).port));
    peer.write(helloBytes("abd"));
    await peer.closed;
    expect(peer.connectionError()).toMatchObject({
      code: Code.Unauthenticated,
      metadata: { reason: "unauthenticated" },
    });
    expect(peer.frames.some((f) => f.type === FrameType.Welcome)).toBe(false);
  });

  it("closes a connection that sends no HELLO within the handshake timeout", async () => {
    const server = createMcpServer({ engine: createSyntheticEngine(), tcp: { port: 0 }, handshakeTimeoutMs: 200 });
    const [addr] = await server.listen();
    cleanups.push(() => server.close({ graceMs: 0 }));
    const peer = await connectRaw(Number(new URL(addr.url).port));
    await peer.closed;
    expect(peer.connectionError()).toMatchObject({
      code: Code.DeadlineExceeded,
      metadata: { reason: "handshake_timeout" },
    });
    const end = Date.now() + 5000;
    while (server.stats().connections !== 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    expect(server.stats().connections).toBe(0);
  });

  it("answers a client PING with an ACK carrying the same bytes", async () => {
    const { port } = await setup();
    const peer = await connectRaw(port);
    cleanups.push(() => void peer.socket.destroy());
    const payload = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    peer.write(Buffer.concat([helloBytes(), encodeFrame({ type: FrameType.Ping, streamId: 0, payload })]));
    const ack = await peer.waitFor((f) => f.type === FrameType.Ping);
    expect(ack.flags).toBe(1);
    expect([...ack.payload]).toEqual([...payload]);
  });
});

describe("session vectors (packages/mcp-codec/vectors/session.json)", () => {
  for (const v of sessionVectors.vectors as {
    name: string;
    clientHex: string;
    serverAuthToken?: string;
    serverOptions?: { handshakeTimeoutMs?: number };
    error: { reason: string; code: number };
  }[]) {
    it(`${v.name} -> ${v.error.reason}`, async () => {
      const { port } = await setup(v.serverAuthToken, v.serverOptions?.handshakeTimeoutMs);
      const peer = await connectRaw(port);
      peer.write(fromHex(v.clientHex));
      await peer.closed;
      expect(peer.connectionError()).toMatchObject({ code: v.error.code, metadata: { reason: v.error.reason } });
    });
  }
});
