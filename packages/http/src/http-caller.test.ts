import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { testTls } from "@modelwire/test-kit";
import { afterEach, describe, expect, it } from "vitest";
import { createOllamaClient } from "./ollama-client.js";

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function httpsTags(): Promise<string> {
  const body = JSON.stringify({ models: [{ name: "m:latest", model: "m:latest" }] });
  const server = createServer({ key: testTls.key, cert: testTls.cert }, (_req, res) => {
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  closers.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("HTTP client transport layer", () => {
  it("trusts a private CA for https:// and counts the bytes its sockets moved", async () => {
    const url = await httpsTags();
    const client = createOllamaClient({ host: url, tls: { ca: testTls.ca }, retries: 0 });
    closers.push(() => client.close());
    const list = await client.list();
    expect(list.models[0].name).toBe("m:latest");
    const extra = client.stats().extra ?? {};
    expect(client.stats().opened).toBe(1);
    // The request line and headers went out, the TLS handshake and the reply came in.
    expect(Number(extra.bytesOut)).toBeGreaterThan(50);
    expect(Number(extra.bytesIn)).toBeGreaterThan(Buffer.byteLength('{"models":[]}'));
  });

  it("refuses a server whose certificate it cannot verify", async () => {
    const url = await httpsTags();
    const client = createOllamaClient({ host: url, retries: 0 });
    closers.push(() => client.close());
    await expect(client.list()).rejects.toThrow(/certificate|self.signed|issuer/i);
  });
});
