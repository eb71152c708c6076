import * as net from "node:net";
import { Code, ModelwireError } from "@modelwire/core";
import { createSyntheticEngine } from "@modelwire/engine";
import { createFrameDecoder, decodeErrorPayload, FrameType } from "@modelwire/mcp-codec";
import { until } from "@modelwire/test-kit";
import { describe, expect, it } from "vitest";
import { createMcpClient, createMcpServer } from "./index.js";
import { cleanupAfterEach } from "./test-support/harness.js";

const MODEL = "synthetic:latest";
const cleanups = cleanupAfterEach();

async function serve(limits: { maxConnections?: number; maxConnectionsPerClient?: number }) {
  const server = createMcpServer({ engine: createSyntheticEngine({ tokens: 4 }), tcp: { port: 0 }, ...limits });
  const [addr] = await server.listen();
  cleanups.push(() => server.close({ graceMs: 0 }));
  return { server, url: addr.url, port: Number(new URL(addr.url).port) };
}
function client(url: string) {
  const c = createMcpClient({ url, reconnect: false });
  cleanups.push(() => c.close());
  return c;
}
async function failure(p: Promise<unknown>): Promise<ModelwireError> {
  try {
    await p;
  } catch (e) {
    return ModelwireError.from(e);
  }
  throw new Error("expected the call to fail");
}

describe("MCP connection caps", () => {
  it("a client over maxConnectionsPerClient is refused with resource_exhausted naming the cap; a close frees a place", async () => {
    const { url, server } = await serve({ maxConnectionsPerClient: 2 });
    const a = client(url);
    const b = client(url);
    expect((await a.version()).version).not.toBe("");
    expect((await b.version()).version).not.toBe("");
    const c = client(url);
    const err = await failure(c.version());
    expect(err.code).toBe(Code.ResourceExhausted);
    expect(err.rawMessage).toMatch(/too many connections from 127\.0\.0\.1.*maxConnectionsPerClient/);
    expect(server.stats().refused).toBe(1);
    await a.close();
    await until(() => server.stats().connections === 1, 5_000);
    const d = client(url);
    expect((await d.version()).version).not.toBe("");
  });

  it("raw sockets past maxConnections get ERROR on stream 0 with RESOURCE_EXHAUSTED and are closed", async () => {
    const { port } = await serve({ maxConnections: 3 });
    const held: net.Socket[] = [];
    cleanups.push(() => {
      for (const s of held) s.destroy();
    });
    const connect = () =>
      new Promise<{ bytes: Buffer; closed: Promise<void> }>((resolve) => {
        const s = net.connect(port, "127.0.0.1");
        held.push(s);
        s.on("error", () => {});
        const chunks: Buffer[] = [];
        const closed = new Promise<void>((r) => s.once("close", () => r()));
        s.on("data", (d) => chunks.push(d));
        s.once("connect", () => setTimeout(() => resolve({ bytes: Buffer.concat(chunks), closed }), 300));
      });
    for (let i = 0; i < 3; i++) expect((await connect()).bytes.length).toBe(0); // admitted: they wait for HELLO
    const refused = await connect();
    await refused.closed;
    const decoder = createFrameDecoder();
    decoder.push(refused.bytes);
    const frame = decoder.next();
    expect(frame?.type).toBe(FrameType.Error);
    expect(frame?.streamId).toBe(0);
    const error = decodeErrorPayload(frame?.payload ?? new Uint8Array());
    expect(error.code).toBe(Code.ResourceExhausted);
    expect(error.message).toMatch(/too many connections on this port.*maxConnections/);
    expect(error.metadata).toEqual({ limit: "maxConnections", max: "3" });
  });

  it("rejects a limit that is not a positive integer, naming it", () => {
    const err = (() => {
      try {
        createMcpServer({ engine: createSyntheticEngine(), tcp: { port: 0 }, maxConnectionsPerClient: 0 });
      } catch (e) {
        return e as ModelwireError;
      }
    })();
    expect(err?.metadata.field).toBe("maxConnectionsPerClient");
  });

  it("streams of admitted clients are unaffected by a refused one", async () => {
    const { url } = await serve({ maxConnectionsPerClient: 1 });
    const a = client(url);
    const b = client(url);
    const [ok, refused] = await Promise.allSettled([
      (async () => {
        let n = 0;
        for await (const ch of a.generate({ model: MODEL, prompt: "p" })) if (!ch.done) n++;
        return n;
      })(),
      b.version(),
    ]);
    expect(ok.status === "fulfilled" && ok.value).toBe(4);
    expect(refused.status).toBe("rejected");
  });
});
