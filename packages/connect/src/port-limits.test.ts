import * as http2 from "node:http2";
import * as net from "node:net";
import * as grpc from "@grpc/grpc-js";
import { Code, type ModelwireError } from "@modelwire/core";
import { createSyntheticEngine } from "@modelwire/engine";
import { until } from "@modelwire/test-kit";
import { describe, expect, it } from "vitest";
import { createConnectClient } from "./client.js";
import { loadInferenceServiceDefinition } from "./grpc-js/index.js";
import { envelope } from "./grpc-wire.js";
import { type ConnectServerOptions, createConnectServer } from "./server.js";
import { cleanupAfterEach } from "./test-support/harness.js";

const cleanup = cleanupAfterEach();
const PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/** An empty HTTP/2 SETTINGS frame: what a client sends right after the preface. */
const EMPTY_SETTINGS = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);

async function serve(options: Partial<ConnectServerOptions> = {}) {
  const server = createConnectServer({ engine: createSyntheticEngine({ tokens: 8 }), ...options });
  cleanup.push(() => server.close({ graceMs: 100 }));
  const url = (await server.listen())[0].url;
  return { server, url, port: Number(new URL(url).port) };
}

/** A stock grpc-js stub with its own connection (no subchannel shared with other stubs). */
function grpcStub(url: string, options: grpc.ChannelOptions = {}): any {
  const Ctor = grpc.makeGenericClientConstructor(loadInferenceServiceDefinition(), "InferenceService");
  const stub: any = new Ctor(new URL(url).host, grpc.credentials.createInsecure(), {
    "grpc.use_local_subchannel_pool": 1,
    ...options,
  });
  cleanup.push(() => stub.close());
  return stub;
}
function version(stub: any, metadata = new grpc.Metadata()): Promise<grpc.ServiceError | undefined> {
  return new Promise((resolve) => stub.Version({}, metadata, (e: grpc.ServiceError | null) => resolve(e ?? undefined)));
}

/** Opens `n` TCP connections that send `bytes` and then nothing; resolves with a count of those the server closed. */
async function silentConnections(port: number, n: number, bytes: Buffer | string) {
  let closed = 0;
  const sockets = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<net.Socket>((resolve) => {
          const s = net.connect(port, "127.0.0.1", () => {
            s.write(bytes);
            resolve(s);
          });
          s.on("error", () => {});
          s.on("close", () => closed++);
          s.resume();
        }),
    ),
  );
  cleanup.push(() => {
    for (const s of sockets) s.destroy();
  });
  return { closed: () => closed };
}

describe("the Connect/gRPC port closes what a client holds without using it", () => {
  it("sessions that send the HTTP/2 preface and nothing more are closed after idleTimeoutMs", async () => {
    const { port, server } = await serve({ idleTimeoutMs: 300 });
    const held = await silentConnections(port, 50, Buffer.concat([Buffer.from(PREFACE), EMPTY_SETTINGS]));
    await until(() => held.closed() === 50, 10_000);
    await until(() => server.stats().connections === 0, 5_000);
    expect(held.closed()).toBe(50);
  });

  it("a session with a stream open longer than idleTimeoutMs is not closed under it", async () => {
    const { url } = await serve({
      engine: createSyntheticEngine({ tokens: 8, interTokenMs: 100 }),
      idleTimeoutMs: 200,
    });
    const c = createConnectClient({ baseUrl: url, protocol: "grpc", retry: false });
    cleanup.push(() => c.close());
    let chunks = 0;
    for await (const _ of c.generate({ model: "synthetic", prompt: "p" })) chunks++;
    expect(chunks).toBeGreaterThan(1);
  });

  it("a gRPC request body that never ends fails its stream with DEADLINE_EXCEEDED; the session serves on", async () => {
    const { url } = await serve({ bodyTimeoutMs: 300 });
    const session = http2.connect(url);
    session.on("error", () => {});
    cleanup.push(() => session.destroy());
    const call = (end: boolean) =>
      new Promise<{ headers: http2.IncomingHttpHeaders; status: string | undefined }>((resolve, reject) => {
        const stream = session.request({
          ":method": "POST",
          ":path": "/modelwire.v1.InferenceService/Version",
          "content-type": "application/grpc",
          te: "trailers",
        });
        let headers: http2.IncomingHttpHeaders = {};
        let status: string | undefined;
        stream.on("response", (h) => {
          headers = h;
          status = h["grpc-status"] as string | undefined;
        });
        stream.on("trailers", (t) => (status = t["grpc-status"] as string | undefined));
        stream.on("error", reject);
        stream.on("close", () => resolve({ headers, status }));
        stream.resume();
        if (end) stream.end(envelope(new Uint8Array(0)));
        else stream.write(envelope(new Uint8Array(0)).subarray(0, 3)); // half an envelope header, then nothing
      });
    const stuck = call(false);
    const answered = await stuck;
    expect(answered.status).toBe(String(Code.DeadlineExceeded));
    expect(decodeURIComponent(String(answered.headers["grpc-message"]))).toMatch(/request body not complete/);
    expect((await call(true)).status).toBe("0");
    expect(session.destroyed).toBe(false);
  });

  it("a Connect request over HTTP/1.1 whose body never ends gets Connect's deadline_exceeded JSON", async () => {
    const { url } = await serve({ bodyTimeoutMs: 300 });
    // fetch (Node's undici) with a body that sends one byte and never ends.
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("{"));
      },
    });
    const res = await fetch(`${url}/modelwire.v1.InferenceService/Version`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      duplex: "half",
    } as RequestInit);
    const json = (await res.json()) as { code: string; message: string };
    expect(json.code).toBe("deadline_exceeded");
    expect(json.message).toMatch(/bodyTimeoutMs|request body/);
  });

  it("HTTP/1.1 connections that send nothing after their first bytes are closed by the headers timeout", async () => {
    const { port } = await serve({ headersTimeoutMs: 300 });
    const held = await silentConnections(port, 20, "POST / HTTP/1.1\r\n");
    await until(() => held.closed() === 20, 10_000);
    expect(held.closed()).toBe(20);
  });
});

describe("no client can take every connection of the port", () => {
  it("a grpc-js client over maxConnectionsPerClient gets RESOURCE_EXHAUSTED naming the cap; one closing frees a place", async () => {
    const { url, server } = await serve({ maxConnectionsPerClient: 2 });
    const a = grpcStub(url);
    const b = grpcStub(url);
    expect(await version(a)).toBeUndefined();
    expect(await version(b)).toBeUndefined();
    const c = grpcStub(url);
    const refused = await version(c);
    expect(refused?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(refused?.details).toMatch(/too many connections from 127\.0\.0\.1.*maxConnectionsPerClient/);
    expect(server.stats().refused).toBeGreaterThanOrEqual(1);
    a.close();
    await until(async () => (await version(c)) === undefined, { timeoutMs: 10_000, everyMs: 200 });
  });

  it("a Connect client over HTTP/1.1 past maxConnections gets resource_exhausted", async () => {
    const { url } = await serve({ maxConnections: 1 });
    const hold = await silentConnections(Number(new URL(url).port), 1, "GET / HTTP/1.1\r\nhost: x\r\n");
    expect(hold.closed()).toBe(0);
    const c = createConnectClient({ baseUrl: url, protocol: "connect", httpVersion: "1.1", retry: false });
    cleanup.push(() => c.close());
    const err = await c.version().then(
      () => undefined,
      (e: ModelwireError) => e,
    );
    expect(err?.code).toBe(Code.ResourceExhausted);
    expect(err?.metadata.limit ?? err?.rawMessage).toMatch(/maxConnections/);
  });

  it("announces maxConcurrentStreams 1024 and resets a header block over 16 KiB on its own stream only", async () => {
    const { url } = await serve();
    const session = http2.connect(url);
    session.on("error", () => {});
    cleanup.push(() => session.destroy());
    await new Promise((r) => session.once("remoteSettings", r));
    expect(session.remoteSettings.maxConcurrentStreams).toBe(1024);
    expect(session.remoteSettings.maxHeaderListSize).toBe(16 * 1024);
    const stub = grpcStub(url);
    const big = new grpc.Metadata();
    big.set("x-big", "x".repeat(20_000));
    const e = await version(stub, big);
    expect(e?.code).not.toBe(undefined);
    expect(await version(stub)).toBeUndefined();
  });
});
