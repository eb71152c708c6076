import { createSyntheticEngine, type SyntheticEngineOptions } from "@modelwire/engine";
import { decodeErrorPayload, decodeWelcome, encodeFrame, type Frame, FrameType } from "@modelwire/mcp-codec";
import { describe, expect, it } from "vitest";
import serverVectors from "../../mcp-codec/vectors/server.json" with { type: "json" };
import { createMcpServer, type McpServerOptions } from "./index.js";
import { cleanupAfterEach } from "./test-support/harness.js";
import { connectRaw } from "./test-support/raw-peer.js";

const cleanups = cleanupAfterEach();
const fromHex = (h: string) => Uint8Array.from(Buffer.from(h, "hex"));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");

interface Expected {
  type: string;
  streamId: number;
  flags?: number;
  payloadHex?: string;
  welcome?: { version: number; maxFrameSize: number; maxStreams: number; heartbeatMs: number };
  error?: { code: number; metadata?: Record<string, string> };
}
interface ServerVector {
  name: string;
  serverOptions?: Partial<McpServerOptions>;
  engine?: SyntheticEngineOptions;
  clientHex: string;
  expect: Expected[];
  after: "open" | "closed";
}

/** What a received frame says, in the vector's terms (only the fields the expectation names). */
function seen(f: Frame, want: Expected): Expected {
  const out: Expected = { type: FrameType[f.type].toUpperCase(), streamId: f.streamId };
  if (want.flags !== undefined) out.flags = f.flags;
  if (want.payloadHex !== undefined) out.payloadHex = toHex(f.payload);
  if (want.welcome && f.type === FrameType.Welcome) {
    const w = decodeWelcome(f.payload);
    out.welcome = {
      version: w.version,
      maxFrameSize: w.maxFrameSize,
      maxStreams: w.maxStreams,
      heartbeatMs: w.heartbeatMs,
    };
  }
  if (want.error && f.type === FrameType.Error) {
    const e = decodeErrorPayload(f.payload);
    const metadata = want.error.metadata
      ? Object.fromEntries(Object.keys(want.error.metadata).map((k) => [k, e.metadata[k]]))
      : undefined;
    out.error = metadata ? { code: e.code, metadata } : { code: e.code };
  }
  return out;
}

describe("server vectors (packages/mcp-codec/vectors/server.json)", () => {
  for (const v of serverVectors.vectors as ServerVector[]) {
    it(`${v.name}`, async () => {
      const server = createMcpServer({
        engine: createSyntheticEngine(v.engine ?? {}),
        tcp: { port: 0 },
        ...v.serverOptions,
      });
      const [addr] = await server.listen();
      cleanups.push(() => server.close({ graceMs: 0 }));
      const peer = await connectRaw(Number(new URL(addr.url).port));
      cleanups.push(() => void peer.socket.destroy());
      peer.write(fromHex(v.clientHex));
      if (v.after === "closed") {
        await peer.closed;
        expect(peer.frames.map((f, i) => seen(f, v.expect[i] ?? f))).toEqual(v.expect);
        return;
      }
      // Still open: a PING must come back acknowledged, after exactly the expected frames.
      const probe = Uint8Array.from([0x6d, 0x77, 0x2d, 0x70, 0x72, 0x6f, 0x62, 0x65]);
      await peer.waitFor((f) => f.type === FrameType.Welcome);
      const expectedCount = v.expect.length;
      // Let the expected frames arrive, then probe: frames that should not exist would arrive before the ACK.
      await waitForCount(peer.frames, expectedCount);
      peer.write(encodeFrame({ type: FrameType.Ping, streamId: 0, payload: probe }));
      await peer.waitFor((f) => f.type === FrameType.Ping && f.flags === 1 && toHex(f.payload) === toHex(probe));
      const answers = peer.frames.filter((f) => !(f.type === FrameType.Ping && toHex(f.payload) === toHex(probe)));
      expect(answers.map((f, i) => seen(f, v.expect[i] ?? ({} as Expected)))).toEqual(v.expect);
    });
  }
});

async function waitForCount(frames: Frame[], n: number): Promise<void> {
  const end = Date.now() + 10_000;
  while (frames.length < n) {
    if (Date.now() > end) throw new Error(`expected ${n} frames, got ${frames.length}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
