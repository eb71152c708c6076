import { create } from "@bufbuild/protobuf";
import { Code, GenerateRequestSchema, ModelwireError } from "@modelwire/core";
import { backgroundContext, createSyntheticEngine } from "@modelwire/engine";
import { afterEach, describe, expect, it } from "vitest";
import { drainingEngine } from "./draining-engine.js";
import { GATEWAY_MAIN, type Gateway, startGateway } from "./index.js";
import { parseReadyLine } from "./ready-line.js";

let gw: Gateway | undefined;
afterEach(async () => {
  await gw?.close({ graceMs: 0 });
  gw = undefined;
});

describe("startGateway (in process)", () => {
  it("binds the enabled listeners, reports them in a valid ready line, and closes idempotently", async () => {
    gw = await startGateway({ httpPort: 0, connectPort: 0, mcpPort: 0, adminPort: 0 });
    const ready = parseReadyLine(gw.readyLine());
    expect(ready.pid).toBe(process.pid);
    expect(ready.addresses).toEqual(gw.addresses);
    expect(gw.url("admin")).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const stats = gw.stats();
    expect(stats.mode).toBe("synthetic");
    expect(stats.engineConfig).toEqual({ ttftMs: 0, interTokenMs: 0, tokens: 16, jitter: 0, seed: 42, loadMs: 0 });
    expect(stats.admission).toEqual({ inFlight: 0, queued: 0, admitted: 0, rejected: 0 });
    const r = await fetch(`${gw.url("admin")}/healthz`);
    expect(r.status).toBe(200);
    const first = gw.close({ graceMs: 0 });
    expect(gw.draining).toBe(true);
    expect(gw.close()).toBe(first);
    await first;
    await expect(fetch(`${gw.url("admin")}/healthz`)).rejects.toThrow();
  });

  it("fails with InvalidArgument naming --tls-cert for an unreadable certificate", async () => {
    const e = await startGateway({ tlsCert: "/nonexistent/cert.pem", tlsKey: "/nonexistent/key.pem" }).catch((x) => x);
    expect(e).toBeInstanceOf(ModelwireError);
    expect((e as ModelwireError).code).toBe(Code.InvalidArgument);
    expect((e as ModelwireError).metadata.option).toBe("--tls-cert");
  });

  it("points GATEWAY_MAIN at the built dist/main.js", () => {
    expect(GATEWAY_MAIN).toMatch(/apps\/server\/dist\/main\.js$/);
  });
});

describe("drainingEngine", () => {
  it("refuses new streams and embeds with Unavailable once draining, and leaves running streams alone", async () => {
    let draining = false;
    const engine = drainingEngine(createSyntheticEngine({ tokens: 3 }), () => draining);
    const req = create(GenerateRequestSchema, { model: "synthetic", prompt: "x" });
    const running = engine.generate(req, backgroundContext())[Symbol.asyncIterator]();
    expect((await running.next()).done).toBe(false);
    draining = true;
    const refused = engine.generate(req, backgroundContext())[Symbol.asyncIterator]();
    await expect(refused.next()).rejects.toMatchObject({ code: Code.Unavailable });
    await expect(
      engine.embed({ model: "synthetic-embed", input: ["x"] } as never, backgroundContext()),
    ).rejects.toMatchObject({
      code: Code.Unavailable,
    });
    let rest = 0;
    for (let r = await running.next(); !r.done; r = await running.next()) rest++;
    expect(rest).toBe(3); // two more tokens and the final chunk
    expect((await engine.list(backgroundContext())).models.length).toBeGreaterThan(0);
  });
});
