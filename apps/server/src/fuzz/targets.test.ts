import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { createGrpcSessions } from "./grpc-target.js";
import { createHangWatch } from "./hang-watch.js";
import { createMcpInputs, createMcpOpenInputs, mcpSeeds, wholeFrames } from "./mcp-target.js";

describe("fuzz targets", () => {
  it("wholeFrames: every committed frame vector is whole; cut anywhere inside a frame it is not", () => {
    const hello = mcpSeeds()[0];
    expect(wholeFrames(hello)).toBe(true);
    expect(wholeFrames(new Uint8Array(0))).toBe(true);
    for (let cut = 1; cut < hello.length; cut++) expect(wholeFrames(hello.subarray(0, cut)), `cut ${cut}`).toBe(false);
    expect(wholeFrames(Buffer.concat([hello, hello]))).toBe(true);
  });

  it("OPEN body inputs keep a valid header and prefix and are whole frames; the same seed replays them", () => {
    const a = createMcpOpenInputs(3);
    const b = createMcpOpenInputs(3);
    for (let i = 0; i < 200; i++) {
      const x = a(i);
      expect(x).toEqual(b(i));
      expect(x.afterHello).toBe(true);
      expect(wholeFrames(x.bytes)).toBe(true);
      expect(Buffer.from(x.bytes.subarray(0, 4)).toString("hex")).toBe("4d430103"); // magic, version 1, OPEN
      expect(x.bytes[20]).toBeGreaterThanOrEqual(1); // a known method
      expect(x.bytes[20]).toBeLessThanOrEqual(7);
    }
  });

  it("MCP frame inputs cover the states before and after the handshake", () => {
    const next = createMcpInputs(1);
    const kinds = new Set(Array.from({ length: 70 }, (_, i) => next(i).afterHello));
    expect(kinds).toEqual(new Set([true, false]));
  });

  it("a GET with a body gets its HTTP response, not a client-side reset (ERR_STREAM_WRITE_AFTER_END)", async () => {
    // node:http2 ends a GET's stream with its headers unless told otherwise; writing the body then failed the stream
    // on the client before any response, which the campaign counted as "reset before a response".
    const server = http2.createServer((req, res) => {
      req.resume();
      req.on("end", () => res.writeHead(405).end());
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const sessions = createGrpcSessions(`http://127.0.0.1:${port}`, 1);
    const hang = createHangWatch(5_000);
    try {
      for (const method of ["GET", "PUT", "POST"]) {
        const outcome = await sessions.send(
          { headers: { ":method": method, ":path": "/x", te: "trailers" }, body: new Uint8Array([0, 0, 0, 0, 1, 9]) },
          hang,
        );
        expect(outcome, method).toEqual({ kind: "answered", status: 405, reset: false });
      }
      expect(sessions.sessionErrors).toBe(0);
    } finally {
      hang.close();
      sessions.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
