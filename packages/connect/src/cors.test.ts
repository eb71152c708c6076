/**
 * CORS on the Connect port, for connect-web over the Connect protocol and gRPC-Web: raw HTTP/1.1 (undici) and
 * HTTP/2 requests, since the headers a browser sees are what matters. Preflights are answered before the token
 * check, actual calls still need the token, a disallowed origin is 403 without CORS headers.
 */
import * as http2 from "node:http2";
import { cors as connectCors } from "@connectrpc/connect";
import { type ProtocolServer, parseOriginList } from "@modelwire/core";
import { createSyntheticEngine } from "@modelwire/engine";
import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { type ConnectServerOptions, createConnectServer } from "./server.js";

const servers: ProtocolServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close({ graceMs: 100 })));
});

const engine = createSyntheticEngine({ tokens: 3 });
const PAGE = "http://localhost:5173";
const VERSION = "/modelwire.v1.InferenceService/Version";

async function start(options: Partial<ConnectServerOptions> = {}): Promise<string> {
  const server = createConnectServer({ engine, ...options });
  servers.push(server);
  return (await server.listen())[0].url;
}

async function send(url: string, method: "POST" | "OPTIONS", headers: Record<string, string>, body?: string) {
  const r = await request(`${url}${VERSION}`, { method, headers, body });
  return { status: r.statusCode, headers: r.headers, text: await r.body.text() };
}

function preflight(url: string, origin: string) {
  return send(url, "OPTIONS", {
    origin,
    "access-control-request-method": "POST",
    "access-control-request-headers": "content-type, connect-protocol-version, authorization",
  });
}

/** A Connect-protocol unary call with JSON, as connect-web sends it with `useBinaryFormat: false`. */
function connectCall(url: string, headers: Record<string, string>) {
  return send(url, "POST", { "content-type": "application/json", "connect-protocol-version": "1", ...headers }, "{}");
}

describe("CORS on the Connect port", () => {
  it("answers a preflight with connect-es's methods and headers plus Authorization, without the token", async () => {
    const url = await start({ authToken: "t0k" });
    const r = await preflight(url, PAGE);
    expect(r.status).toBe(204);
    expect(r.headers["access-control-allow-origin"]).toBe(PAGE);
    expect(r.headers["access-control-allow-methods"]).toBe("POST, GET, OPTIONS");
    const allowed = String(r.headers["access-control-allow-headers"]).toLowerCase().split(", ");
    for (const h of [
      "content-type",
      "connect-protocol-version",
      "connect-timeout-ms",
      "x-grpc-web",
      "x-user-agent",
      "grpc-timeout",
      "authorization",
    ]) {
      expect(allowed).toContain(h);
    }
  });

  it("a Connect call from an allowed origin carries allow-origin and exposes the gRPC status headers; the token still applies", async () => {
    const url = await start({ authToken: "t0k" });
    const denied = await connectCall(url, { origin: PAGE });
    expect(denied.status).toBe(401);
    expect(JSON.parse(denied.text)).toMatchObject({ code: "unauthenticated" });
    expect(denied.headers["access-control-allow-origin"]).toBe(PAGE);
    const ok = await connectCall(url, { origin: PAGE, authorization: "Bearer t0k" });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.text)).toHaveProperty("version");
    expect(ok.headers["access-control-allow-origin"]).toBe(PAGE);
    const exposed = String(ok.headers["access-control-expose-headers"]).toLowerCase().split(", ");
    for (const h of ["grpc-status", "grpc-message", "grpc-status-details-bin"]) expect(exposed).toContain(h);
    expect(connectCors.exposedHeaders.length).toBe(exposed.length);
  });

  it("a disallowed origin is 403 permission_denied without CORS headers, over HTTP/1.1 and HTTP/2", async () => {
    const url = await start();
    for (const origin of ["https://evil.example", "http://localhost.evil.example"]) {
      const pre = await preflight(url, origin);
      expect(pre.status).toBe(403);
      expect(pre.headers["access-control-allow-origin"]).toBeUndefined();
      expect(JSON.parse(pre.text)).toMatchObject({ code: "permission_denied" });
      expect((await connectCall(url, { origin })).status).toBe(403);
    }
    const h2 = await h2Request(url, { ":method": "OPTIONS", origin: "https://evil.example" });
    expect(h2.status).toBe(403);
    expect(h2.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("over HTTP/2 too: a preflight and a gRPC-Web call from an allowed origin (the fast paths are not taken)", async () => {
    const url = await start({ origins: parseOriginList("https://app.example") });
    const pre = await h2Request(url, {
      ":method": "OPTIONS",
      origin: "https://app.example",
      "access-control-request-method": "POST",
    });
    expect(pre.status).toBe(204);
    expect(pre.headers["access-control-allow-origin"]).toBe("https://app.example");
    const call = await h2Request(
      url,
      {
        ":method": "POST",
        origin: "https://app.example",
        "content-type": "application/grpc-web+proto",
        "x-grpc-web": "1",
      },
      Buffer.from([0, 0, 0, 0, 0]), // one empty VersionRequest message
    );
    expect(call.status).toBe(200);
    expect(call.headers["access-control-allow-origin"]).toBe("https://app.example");
    expect(call.headers["content-type"]).toBe("application/grpc-web+proto");
    // The trailer frame (flag 0x80) says grpc-status: 0.
    expect(call.body.toString("latin1")).toContain("grpc-status: 0");
  });

  it("requests without Origin are served as before", async () => {
    const url = await start();
    const plain = await connectCall(url, {});
    expect(plain.status).toBe(200);
    expect(plain.headers["access-control-allow-origin"]).toBeUndefined();
  });
});

async function h2Request(url: string, headers: http2.OutgoingHttpHeaders, body?: Buffer) {
  const session = http2.connect(url);
  session.on("error", () => {});
  try {
    return await new Promise<{ status: number; headers: http2.IncomingHttpHeaders; body: Buffer }>(
      (resolve, reject) => {
        const stream = session.request({ ":path": VERSION, ...headers });
        let head: http2.IncomingHttpHeaders = {};
        const chunks: Buffer[] = [];
        stream.on("response", (h) => (head = h));
        stream.on("data", (d: Buffer) => chunks.push(d));
        stream.on("error", reject);
        stream.on("close", () =>
          resolve({ status: Number(head[":status"]), headers: head, body: Buffer.concat(chunks) }),
        );
        stream.end(body);
      },
    );
  } finally {
    session.close();
  }
}
