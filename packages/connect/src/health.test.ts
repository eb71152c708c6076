import * as http2 from "node:http2";
import * as grpc from "@grpc/grpc-js";
import { createServingState, type ProtocolServer } from "@modelwire/core";
import { createSyntheticEngine } from "@modelwire/engine";
import { until } from "@modelwire/test-kit";
import { service as healthService } from "grpc-health-check";
import { describe, expect, it } from "vitest";
import { loadInferenceServiceDefinition } from "./grpc-js/index.js";
import { createConnectServer } from "./server.js";
import { cleanupAfterEach } from "./test-support/harness.js";

const cleanup = cleanupAfterEach();

/** A dynamic stub: grpc-js builds its methods at run time, so it has no static type. */
type Stub = any;

/** The stock health client: grpc-js with the service definition the `grpc-health-check` package ships. */
function healthClient(url: string): Stub {
  const Ctor = grpc.makeGenericClientConstructor(healthService, "Health");
  const stub = new Ctor(new URL(url).host, grpc.credentials.createInsecure());
  cleanup.push(() => stub.close());
  return stub;
}

function check(stub: Stub, service: string): Promise<{ status: string }> {
  return new Promise((resolve, reject) =>
    stub.check({ service }, (e: grpc.ServiceError | null, r: { status: string }) => (e ? reject(e) : resolve(r))),
  );
}

/** A Watch stream's messages and how it ended, as they arrive. */
function watch(stub: Stub, service: string) {
  const statuses: string[] = [];
  let error: grpc.ServiceError | undefined;
  let ended = false;
  const call = stub.watch({ service });
  call.on("data", (r: { status: string }) => statuses.push(r.status));
  call.on("error", (e: grpc.ServiceError) => {
    error = e;
    ended = true;
  });
  call.on("end", () => (ended = true));
  cleanup.push(() => call.cancel());
  return { statuses, error: () => error, ended: () => ended, cancel: () => call.cancel() };
}

async function start(options: Partial<Parameters<typeof createConnectServer>[0]> = {}) {
  const server: ProtocolServer = createConnectServer({ engine: createSyntheticEngine({ tokens: 3 }), ...options });
  cleanup.push(() => server.close({ graceMs: 100 }));
  const url = (await server.listen())[0].url;
  return { server, url };
}

describe("grpc.health.v1 on the Connect port, with the stock grpc-js health client", () => {
  it("Check answers SERVING for the server and the InferenceService, NOT_FOUND for anything else", async () => {
    const serving = createServingState();
    const { url } = await start({ serving });
    const stub = healthClient(url);
    expect(await check(stub, "")).toEqual({ status: "SERVING" });
    expect(await check(stub, "modelwire.v1.InferenceService")).toEqual({ status: "SERVING" });
    await expect(check(stub, "no.Such")).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    serving.set(false);
    expect(await check(stub, "")).toEqual({ status: "NOT_SERVING" });
    expect(await check(stub, "modelwire.v1.InferenceService")).toEqual({ status: "NOT_SERVING" });
  });

  it("Watch streams every change; closing the server sends NOT_SERVING and ends the stream with UNAVAILABLE", async () => {
    const serving = createServingState();
    const { server, url } = await start({ serving });
    const stub = healthClient(url);
    const w = watch(stub, "modelwire.v1.InferenceService");
    const unknown = watch(stub, "no.Such");
    await until(() => w.statuses.length === 1 && unknown.statuses.length === 1);
    expect(w.statuses).toEqual(["SERVING"]);
    expect(unknown.statuses).toEqual(["SERVICE_UNKNOWN"]);
    serving.set(false);
    await until(() => w.statuses.length === 2);
    serving.set(true);
    await until(() => w.statuses.length === 3);
    expect(w.statuses).toEqual(["SERVING", "NOT_SERVING", "SERVING"]);
    // A drain: close() with a long grace period must not wait for the watchers.
    const t0 = performance.now();
    await server.close({ graceMs: 30_000 });
    expect(performance.now() - t0).toBeLessThan(20_000);
    await until(() => w.ended() && unknown.ended());
    expect(w.statuses).toEqual(["SERVING", "NOT_SERVING", "SERVING", "NOT_SERVING"]);
    expect(w.error()?.code).toBe(grpc.status.UNAVAILABLE);
    expect(unknown.statuses).toEqual(["SERVICE_UNKNOWN"]);
  });

  it("needs no bearer token (probes send none), while the InferenceService still does", async () => {
    const { url } = await start({ authToken: "s3cret" });
    expect(await check(healthClient(url), "")).toEqual({ status: "SERVING" });
    const Ctor = grpc.makeGenericClientConstructor(loadInferenceServiceDefinition(), "InferenceService");
    const stub = new Ctor(new URL(url).host, grpc.credentials.createInsecure());
    cleanup.push(() => stub.close());
    const err = await new Promise<grpc.ServiceError>((resolve) =>
      stub.Version({}, (e: grpc.ServiceError) => resolve(e)),
    );
    expect(err.code).toBe(grpc.status.UNAUTHENTICATED);
  });
});

describe("an unknown service or method", () => {
  /** One raw HTTP/2 request: the response headers and trailers as sent. */
  async function raw(url: string, path: string, contentType: string) {
    const session = http2.connect(url);
    cleanup.push(() => session.close());
    const stream = session.request({ ":method": "POST", ":path": path, "content-type": contentType, te: "trailers" });
    stream.end(Buffer.from([0, 0, 0, 0, 0]));
    let headers: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    stream.on("response", (h) => (headers = h));
    stream.on("trailers", (t) => (trailers = t));
    stream.resume();
    await new Promise((r) => stream.on("close", r));
    return { headers, trailers };
  }

  it("answers gRPC with HTTP 200 and grpc-status 12 (trailers-only), and the Connect protocol with 404", async () => {
    const { url } = await start();
    for (const [path, what] of [
      ["/no.Such/Call", "unknown service no.Such"],
      ["/modelwire.v1.InferenceService/Nope", "unknown method Nope of service modelwire.v1.InferenceService"],
      ["/grpc.health.v1.Health/Nope", "unknown method Nope of service grpc.health.v1.Health"],
    ]) {
      for (const type of ["application/grpc", "application/grpc+proto", "application/grpc-web+proto"]) {
        const { headers } = await raw(url, path, type);
        expect(headers[":status"], `${type} ${path}`).toBe(200);
        expect(headers["grpc-status"], `${type} ${path}`).toBe("12");
        expect(decodeURIComponent(String(headers["grpc-message"]))).toBe(what);
        expect(headers["content-type"]).toBe(type);
      }
    }
    expect((await raw(url, "/no.Such/Call", "application/proto")).headers[":status"]).toBe(404);
    // A stock grpc-js client reads it as UNIMPLEMENTED.
    const client = new grpc.Client(new URL(url).host, grpc.credentials.createInsecure());
    cleanup.push(() => client.close());
    const err = await new Promise<grpc.ServiceError>((resolve) =>
      client.makeUnaryRequest(
        "/no.Such/Call",
        (x: Buffer) => x,
        (x: Buffer) => x,
        Buffer.alloc(0),
        (e) => resolve(e as grpc.ServiceError),
      ),
    );
    expect(err.code).toBe(grpc.status.UNIMPLEMENTED);
    expect(err.details).toBe("unknown service no.Such");
  });
});
