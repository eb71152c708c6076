import type * as http2 from "node:http2";
import { gzipSync } from "node:zlib";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { Code, InferenceService, ModelwireError, type ProtocolServer } from "@modelwire/core";
import { createSyntheticEngine } from "@modelwire/engine";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envelope } from "./grpc-wire.js";
import { createConnectServer } from "./server.js";
import { fixedEngine } from "./test-support/fixed-engine.js";
import { type RawHttpResponse, rawPost } from "./test-support/raw-http.js";

// A Connect-protocol request message protobuf cannot decode is INVALID_ARGUMENT (HTTP 400 for unary; connect-go
// answers so) wherever the port serves it: on our fast paths and where connect-node serves (`fastUnary: false`,
// compressed requests, browser requests with Origin) — connect-es alone says INTERNAL / 500 (parse-status.ts).
// gRPC and gRPC-Web answer INTERNAL on both paths, as gRPC's status table says ("error parsing request proto").

const SERVICE = "/modelwire.v1.InferenceService";
/** Field 1, length-delimited, length 0x1fffff…: protobuf-es throws "premature EOF". */
const JUNK = Buffer.from([0x0a, 0xff, 0xff, 0xff]);
const UNARY = ["ShowModel", "Embed", "ListModels", "Version"] as const;
const ct = { "content-type": "application/proto" };

let fast: ProtocolServer;
let stock: ProtocolServer;
let fastUrl: string;
let stockUrl: string;
beforeAll(async () => {
  fast = createConnectServer({ engine: fixedEngine() });
  stock = createConnectServer({ engine: fixedEngine(), fastUnary: false, fastStreaming: false });
  fastUrl = (await fast.listen())[0].url;
  stockUrl = (await stock.listen())[0].url;
});
afterAll(async () => {
  await Promise.all([fast.close({ graceMs: 100 }), stock.close({ graceMs: 100 })]);
});

const json = (r: RawHttpResponse) => JSON.parse(r.body.toString("utf8"));
const invalid = (method: string) => ({
  code: "invalid_argument",
  message: `failed to decode modelwire.v1.${method}Request: premature EOF`,
});
/** The end-stream frame's JSON of a Connect streaming response (the body's last envelope). */
function endStream(r: RawHttpResponse): any {
  let at = 0;
  let last: Buffer | undefined;
  while (at + 5 <= r.body.length) {
    const len = r.body.readUInt32BE(at + 1);
    last = r.body.subarray(at, at + 5 + len);
    at += 5 + len;
  }
  expect(last?.[0]).toBe(2);
  return JSON.parse(last!.subarray(5).toString("utf8"));
}

describe("connect-es alone (why the wrapper exists)", () => {
  it("answers a Connect unary undecodable body with HTTP 500 internal 'parse binary'", async () => {
    const { createServer } = await import("node:http2");
    const h = connectNodeAdapter({
      routes: (r) => r.service(InferenceService, { version: async () => ({ version: "x" }) }),
    });
    const server = createServer(h as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const port = (server.address() as { port: number }).port;
      const r = await rawPost(`http://127.0.0.1:${port}`, "2", `${SERVICE}/Version`, ct, JUNK);
      expect(r.status).toBe(500);
      expect(json(r)).toEqual({ code: "internal", message: "parse binary: premature EOF" });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
describe("Connect protocol: INVALID_ARGUMENT", () => {
  it.each(UNARY)(
    "unary %s over HTTP/2: 400 on connect-node's path, the fast path's answer byte for byte",
    async (m) => {
      const [a, b] = await Promise.all([
        rawPost(fastUrl, "2", `${SERVICE}/${m}`, ct, JUNK),
        rawPost(stockUrl, "2", `${SERVICE}/${m}`, ct, JUNK),
      ]);
      expect(b.status).toBe(400);
      expect(json(b)).toEqual(invalid(m));
      expect(b.headers["content-type"]).toBe("application/json");
      expect(b.headers["content-length"]).toBe(String(b.body.length));
      expect([a.status, a.body.toString("latin1")]).toEqual([b.status, b.body.toString("latin1")]);
    },
  );

  it("unary with content-encoding gzip (connect-node serves it on the default server), HTTP/2 and HTTP/1.1", async () => {
    const headers = { ...ct, "content-encoding": "gzip" };
    for (const version of ["2", "1.1"] as const) {
      const r = await rawPost(fastUrl, version, `${SERVICE}/ShowModel`, headers, gzipSync(JUNK));
      expect(r.status).toBe(400);
      expect(json(r)).toEqual(invalid("ShowModel"));
    }
  });

  it("a browser's request (Origin, fetch over HTTP/1.1): 400 with the CORS headers", async () => {
    const res = await fetch(`${fastUrl}${SERVICE}/Embed`, {
      method: "POST",
      headers: { ...ct, origin: "http://localhost:5173", "connect-protocol-version": "1" },
      body: JUNK,
    });
    expect(res.status).toBe(400);
    expect(res.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
    expect(await res.json()).toEqual(invalid("Embed"));
  });

  it("streaming Generate (application/connect+proto) on connect-node's path: end-stream invalid_argument", async () => {
    const headers = { "content-type": "application/connect+proto" };
    const [a, b] = await Promise.all([
      rawPost(fastUrl, "2", `${SERVICE}/Generate`, headers, envelope(JUNK)),
      rawPost(stockUrl, "2", `${SERVICE}/Generate`, headers, envelope(JUNK)),
    ]);
    expect(b.status).toBe(200);
    expect(endStream(b)).toEqual({ error: invalid("Generate") });
    expect(b.body.toString("latin1")).toBe(a.body.toString("latin1"));
  });

  it("decodable requests are untouched: served, and the implementation's own INTERNAL stays a 500", async () => {
    const base = createSyntheticEngine();
    const engine = {
      ...base,
      show: async () => {
        throw new ModelwireError("parse binary: the engine's own failure", Code.Internal);
      },
    };
    const server = createConnectServer({ engine, fastUnary: false, fastStreaming: false });
    try {
      const url = (await server.listen())[0].url;
      const ok = await rawPost(url, "2", `${SERVICE}/Version`, ct, Buffer.alloc(0));
      expect(ok.status).toBe(200);
      // ShowModelRequest { model: "m" }: decodes, then the engine fails with INTERNAL (a message that looks alike).
      const r = await rawPost(url, "2", `${SERVICE}/ShowModel`, ct, Buffer.from([0x0a, 1, 0x6d]));
      expect(r.status).toBe(500);
      expect(json(r)).toMatchObject({ code: "internal", message: "parse binary: the engine's own failure" });
    } finally {
      await server.close({ graceMs: 100 });
    }
  });
});

describe("gRPC and gRPC-Web: INTERNAL (gRPC's status table), on both paths", () => {
  /** Stock grpc-js sending the raw bytes as the request message. */
  function grpcRaw(url: string, method: string, bytes: Buffer): Promise<grpc.ServiceError | null> {
    const client = new grpc.Client(new URL(url).host, grpc.credentials.createInsecure());
    return new Promise<grpc.ServiceError | null>((resolve) => {
      client.makeUnaryRequest(
        `${SERVICE}/${method}`,
        (b: Buffer) => b,
        (b: Buffer) => b,
        bytes,
        (e) => resolve(e),
      );
    }).finally(() => client.close());
  }

  it.each(UNARY)("gRPC %s (stock grpc-js)", async (m) => {
    for (const url of [fastUrl, stockUrl]) {
      const e = await grpcRaw(url, m, JUNK);
      expect(e?.code).toBe(grpc.status.INTERNAL);
      expect(e?.details).toMatch(/premature EOF/);
    }
  });

  it("gRPC-Web ShowModel (raw HTTP/1.1 and HTTP/2)", async () => {
    const headers = { "content-type": "application/grpc-web+proto" };
    for (const url of [fastUrl, stockUrl]) {
      for (const version of ["2", "1.1"] as const) {
        const r = await rawPost(url, version, `${SERVICE}/ShowModel`, headers, envelope(JUNK));
        expect(r.status).toBe(200);
        expect(r.body.toString("latin1")).toMatch(/grpc-status: 13\r\n/);
      }
    }
  });
});
