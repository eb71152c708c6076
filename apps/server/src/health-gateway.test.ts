import * as grpc from "@grpc/grpc-js";
import { until } from "@modelwire/test-kit";
import { service as healthService } from "grpc-health-check";
import { afterEach, describe, expect, it } from "vitest";
import { gatewaysAfterEach } from "./test-support/gateways.js";
import type { SpawnedGateway } from "./test-support/spawn-gateway.js";

const { start } = gatewaysAfterEach();
const closers: Array<() => void> = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

const INFERENCE = "modelwire.v1.InferenceService";

/** A dynamic stub: grpc-js builds its methods at run time, so it has no static type. */
type Stub = any;

/** The stock health client: grpc-js with the definition the `grpc-health-check` package ships. */
function healthClient(gw: SpawnedGateway): Stub {
  const Ctor = grpc.makeGenericClientConstructor(healthService, "Health");
  const stub = new Ctor(new URL(gw.url("connect")).host, grpc.credentials.createInsecure());
  closers.push(() => stub.close());
  return stub;
}

function check(stub: Stub, service: string): Promise<string> {
  return new Promise((resolve, reject) =>
    stub.check({ service }, { deadline: Date.now() + 5_000 }, (e: grpc.ServiceError | null, r: { status: string }) =>
      e ? reject(e) : resolve(r.status),
    ),
  );
}

function watch(stub: Stub, service: string) {
  const statuses: string[] = [];
  const state: { error?: grpc.ServiceError; ended: boolean } = { ended: false };
  const call = stub.watch({ service });
  call.on("data", (r: { status: string }) => statuses.push(r.status));
  call.on("error", (e: grpc.ServiceError) => {
    state.error = e;
    state.ended = true;
  });
  call.on("end", () => (state.ended = true));
  closers.push(() => call.cancel());
  return { statuses, state, last: () => statuses.at(-1) };
}

describe("modelwire serve: gRPC health", () => {
  it("Check and Watch across a drain: NOT_SERVING at SIGTERM, calls still served for --drain-delay-ms, then the watch ends", async () => {
    const gw = await start(["--drain-delay-ms", "4000", "--grace-ms", "2000"]);
    const stub = healthClient(gw);
    expect(await check(stub, "")).toBe("SERVING");
    expect(await check(stub, INFERENCE)).toBe("SERVING");
    const w = watch(stub, INFERENCE);
    const whole = watch(stub, "");
    await until(() => w.statuses.length === 1 && whole.statuses.length === 1);
    expect(w.statuses).toEqual(["SERVING"]);

    gw.proc.kill("SIGTERM");
    await until(() => w.last() === "NOT_SERVING" && whole.last() === "NOT_SERVING");
    // Within the drain delay: health says so, and calls are still served.
    expect(await check(stub, "")).toBe("NOT_SERVING");
    expect(await check(stub, INFERENCE)).toBe("NOT_SERVING");
    expect((await fetch(`${gw.url("admin")}/healthz`)).status).toBe(503);
    const g = await fetch(`${gw.url("http")}/api/generate`, {
      method: "POST",
      body: JSON.stringify({ model: "synthetic", prompt: "during the drain delay", stream: false }),
    });
    expect(g.status).toBe(200);
    // Then the drain: each watch ends with UNAVAILABLE, and the process exits 0.
    await until(() => w.state.ended && whole.state.ended, 15_000);
    expect(w.statuses).toEqual(["SERVING", "NOT_SERVING"]);
    expect(w.state.error?.code).toBe(grpc.status.UNAVAILABLE);
    expect((await gw.exited).code).toBe(0);
  });

  it("without a drain delay a watch sees NOT_SERVING and ends at once; the process does not wait out the grace period", async () => {
    const gw = await start(["--grace-ms", "20000"]);
    const w = watch(healthClient(gw), INFERENCE);
    await until(() => w.statuses.length === 1);
    const t0 = performance.now();
    gw.proc.kill("SIGTERM");
    await until(() => w.state.ended);
    expect(w.statuses).toEqual(["SERVING", "NOT_SERVING"]);
    expect(w.state.error?.code).toBe(grpc.status.UNAVAILABLE);
    expect((await gw.exited).code).toBe(0);
    // A watch is not a stream in flight: the 20 s grace period was not waited out.
    expect(performance.now() - t0).toBeLessThan(15_000);
  });

  it("upstream mode: NOT_SERVING while the upstream does not answer, SERVING again when it does", async () => {
    const origin = await start(["--no-connect", "--no-mcp"]);
    const port = new URL(origin.url("http")).port;
    const gw = await start(["--upstream", origin.url("http"), "--upstream-probe-ms", "200", "--no-http", "--no-mcp"]);
    const stub = healthClient(gw);
    const w = watch(stub, INFERENCE);
    await until(() => w.last() === "SERVING");
    await origin.kill();
    await until(() => w.last() === "NOT_SERVING");
    expect(await check(stub, "")).toBe("NOT_SERVING");
    await start(["--no-connect", "--no-mcp", "--http-port", port]);
    await until(() => w.last() === "SERVING");
    expect(await check(stub, INFERENCE)).toBe("SERVING");
    expect(gw.stderr()).toMatch(/warning: upstream http:\/\/127\.0\.0\.1:\d+ does not answer/);
    expect(gw.stderr()).toMatch(/upstream http:\/\/127\.0\.0\.1:\d+ answers again/);
  });
});
