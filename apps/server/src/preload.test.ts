import { type StandIn, startStandIn } from "@modelwire/test-kit/standin";
import { afterEach, describe, expect, it } from "vitest";
import { resolveServeConfig } from "./config.js";
import { type Gateway, startGateway } from "./index.js";
import { FREE_PORTS } from "./test-support/gateways.js";
import { runGateway } from "./test-support/spawn-gateway.js";

let gw: Gateway | undefined;
let standIn: StandIn | undefined;
afterEach(async () => {
  await gw?.close({ graceMs: 0 });
  gw = undefined;
  await standIn?.close();
  standIn = undefined;
});

const PORTS = { httpPort: 0, connectPort: 0, mcpPort: 0, adminPort: 0 };

describe("--preload and --keep-alive", () => {
  it("sends an upstream Ollama its empty-prompt load call with the keep_alive before ready, and forwards the default", async () => {
    standIn = await startStandIn({ openai: false, models: ["standin:latest"] });
    gw = await startGateway({
      ...PORTS,
      upstream: standIn.url,
      preload: ["standin"],
      keepAlive: "30m",
      readyAfterPreload: true,
    });
    const loads = standIn.requests.filter((r) => r.path === "/api/generate");
    expect(loads).toHaveLength(1);
    expect(loads[0].body).toMatchObject({ model: "standin", keep_alive: "30m0s" });
    expect(loads[0].body?.prompt ?? "").toBe("");

    const post = (body: object) =>
      fetch(`${gw?.url("http")}/api/generate`, { method: "POST", body: JSON.stringify(body) }).then((r) => r.text());
    await post({ model: "standin", prompt: "hi", stream: false });
    await post({ model: "standin", prompt: "hi", stream: false, keep_alive: "5m" });
    const calls = standIn.requests.filter((r) => r.path === "/api/generate").slice(1);
    expect(calls.map((c) => c.body?.keep_alive)).toEqual(["30m0s", "5m0s"]);
  });

  it("waits for the synthetic engine's load before ready, and a model that cannot load stops the start naming --preload", async () => {
    gw = await startGateway({ ...PORTS, preload: ["synthetic", "synthetic:7b"], readyAfterPreload: true });
    expect(gw.engine.stats().requests).toBe(2);
    await gw.close({ graceMs: 0 });
    gw = undefined;
    const err = await startGateway({ ...PORTS, preload: ["no-such-model"], readyAfterPreload: true }).catch((e) => e);
    expect(String(err.message)).toContain('--preload: cannot load "no-such-model"');
    const cli = await runGateway([...FREE_PORTS, "--preload", "no-such-model", "--ready-after-preload"]);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toBe("");
    expect(cli.stderr).toContain("--preload");
  });

  it("pays the synthetic engine's --load-ms at start, so the first call finds the model resident", async () => {
    const lines: string[] = [];
    gw = await startGateway(
      { ...PORTS, loadMs: 80, preload: ["synthetic"], readyAfterPreload: true, keepAlive: "10m" },
      (l) => lines.push(l),
    );
    const line = lines.find((l) => l.startsWith("modelwire: preloaded synthetic in")) ?? "";
    // The load reply carries no durations (as Ollama's), so the line gives the wall time the start waited.
    expect(Number(/ in ([\d.]+) ms/.exec(line)?.[1])).toBeGreaterThanOrEqual(80);
    expect(line).not.toContain("load_duration");
    const ps = (await fetch(`${gw.url("http")}/api/ps`).then((r) => r.json())) as { models: { name: string }[] };
    expect(ps.models.map((m) => m.name)).toContain("synthetic:latest");
    const first = await fetch(`${gw.url("http")}/api/generate`, {
      method: "POST",
      body: JSON.stringify({ model: "synthetic", prompt: "hi", stream: false }),
    }).then((r) => r.json() as Promise<{ done: boolean; load_duration: number }>);
    expect(first.done).toBe(true);
    // Resident: this call paid no load (an unloaded model pays >= 80 ms of load_duration, as the next check shows).
    expect(first.load_duration / 1e6).toBeLessThan(80);
    await fetch(`${gw.url("http")}/api/generate`, {
      method: "POST",
      body: JSON.stringify({ model: "synthetic", keep_alive: 0 }),
    }).then((r) => r.text());
    const cold = await fetch(`${gw.url("http")}/api/generate`, {
      method: "POST",
      body: JSON.stringify({ model: "synthetic", prompt: "hi", stream: false }),
    }).then((r) => r.json() as Promise<{ done: boolean; load_duration: number }>);
    expect(cold.load_duration / 1e6).toBeGreaterThanOrEqual(80);
  });

  it("without --ready-after-preload loads in the background and only warns about a failure", async () => {
    const lines: string[] = [];
    gw = await startGateway({ ...PORTS, preload: ["synthetic", "nope"] }, (l) => lines.push(l));
    const { until } = await import("@modelwire/test-kit");
    await until(() => lines.some((l) => l.includes("--preload nope failed")));
    expect(lines.some((l) => l.startsWith("modelwire: preloaded synthetic in"))).toBe(true);
  });

  it("parses repeatable and comma-list forms, and refuses bad values naming the flag", () => {
    const c = (argv: string[], env: Record<string, string> = {}) => resolveServeConfig({ argv, env });
    expect(c(["--preload", "a", "--preload", "b,c"])).toMatchObject({ config: { preload: ["a", "b", "c"] } });
    expect(c([], { MODELWIRE_PRELOAD: "a, b" })).toMatchObject({ config: { preload: ["a", "b"] } });
    expect(c(["--keep-alive", "-1"])).toMatchObject({ config: { keepAlive: "-1" } });
    expect(c(["--keep-alive", "1h30m"])).toMatchObject({ config: { keepAlive: "1h30m" } });
    expect(() => c(["--keep-alive", "soon"])).toThrow("--keep-alive");
    expect(() => c(["--ready-after-preload"])).toThrow("--ready-after-preload");
    expect(() => c(["--preload", "a,,b"])).toThrow("--preload");
  });
});
