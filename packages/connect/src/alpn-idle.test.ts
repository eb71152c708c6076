import * as tls from "node:tls";
import { createSyntheticEngine } from "@modelwire/engine";
import { testTls, until } from "@modelwire/test-kit";
import { describe, expect, it } from "vitest";
import { createConnectServer } from "./server.js";
import { cleanupAfterEach } from "./test-support/harness.js";

const cleanup = cleanupAfterEach();

/** A TLS connection that negotiated HTTP/1.1 by ALPN; `closed` counts the server closing it. */
function alpnHttp1(port: number): Promise<{ socket: tls.TLSSocket; closed: Promise<void>; data: () => string }> {
  return new Promise((resolve, reject) => {
    let data = "";
    const socket = tls.connect(
      { port, host: "127.0.0.1", ca: testTls.ca, servername: "localhost", ALPNProtocols: ["http/1.1"] },
      () => {
        expect(socket.alpnProtocol).toBe("http/1.1");
        resolve({ socket, closed, data: () => data });
      },
    );
    const closed = new Promise<void>((r) => socket.once("close", () => r()));
    socket.on("data", (d: Buffer) => {
      data += d.toString("latin1");
    });
    socket.once("error", reject);
    cleanup.push(() => {
      socket.destroy();
    });
  });
}

describe("HTTP/1.1 negotiated by ALPN on the TLS Connect port", () => {
  it("a connection that sends nothing, and one idle after a reply, are closed after idleTimeoutMs; a reply slower than that is not cut", async () => {
    const engine = createSyntheticEngine({ tokens: 8, interTokenMs: 150 });
    const server = createConnectServer({ engine, tls: { key: testTls.key, cert: testTls.cert }, idleTimeoutMs: 300 });
    cleanup.push(() => server.close({ graceMs: 0 }));
    const port = Number(new URL((await server.listen())[0].url).port);

    const silent = await alpnHttp1(port);
    await silent.closed;

    const used = await alpnHttp1(port);
    const body = "{}";
    used.socket.write(
      `POST /modelwire.v1.InferenceService/Version HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    await until(() => used.data().includes("\r\n\r\n{"), 10_000);
    expect(used.data()).toMatch(/^HTTP\/1\.1 200/);
    await used.closed;

    // A Connect server-streaming call over HTTP/1.1 that takes 8 × 150 ms: longer than the idle timeout, not idle.
    const slow = await alpnHttp1(port);
    const req = JSON.stringify({ model: "synthetic", prompt: "slow" });
    const frame = Buffer.alloc(5 + req.length);
    frame.writeUInt32BE(req.length, 1);
    frame.write(req, 5);
    slow.socket.write(
      `POST /modelwire.v1.InferenceService/Generate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/connect+json\r\nConnect-Protocol-Version: 1\r\nContent-Length: ${frame.length}\r\n\r\n`,
    );
    slow.socket.write(frame);
    await slow.closed; // closed after the reply, once idle
    expect(slow.data()).toMatch(/^HTTP\/1\.1 200/);
    expect(slow.data()).toContain('"done":true');
    expect(slow.data()).not.toContain('"error"');
  }, 60_000);
});
