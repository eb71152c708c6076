import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BenchResult } from "../result.js";
import { type ServerProcess, spawnServerProcess } from "../server-process.js";
import { ExitCode } from "../slo.js";
import { QUICK, runCli } from "../test-support/run-cli.js";
import { parseTrace } from "../trace/trace-file.js";

// `modelwire serve` as a user starts it: the CLI's own bin, a process of its own, every port 0, a token.
const MODELWIRE_BIN = fileURLToPath(new URL("../../../cli/bin/modelwire.js", import.meta.url));
const TOKEN = "e2e-token-7f3a";

let gateway: ServerProcess;
let dir: string;
const addressOf = (protocol: string): string => {
  const a = gateway.addresses.find((x) => x.protocol === protocol);
  if (!a) throw new Error(`the gateway has no ${protocol} listener: ${JSON.stringify(gateway.addresses)}`);
  return a.url;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "bench-gw-target-"));
  gateway = await spawnServerProcess({
    name: "modelwire serve",
    script: MODELWIRE_BIN,
    args: [
      "serve",
      "--http-port=0",
      "--connect-port=0",
      "--mcp-port=0",
      "--admin-port=0",
      `--auth-token=${TOKEN}`,
      "--ttft-ms=3",
      "--inter-token-ms=1",
      "--quiet",
    ],
    readyTimeoutMs: 30_000,
  });
}, 40_000);
afterAll(async () => {
  await gateway?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("bench --target against a gateway started elsewhere (modelwire serve)", () => {
  it("measures mcp-tcp, connect-grpc and http on it: real replies, consistent across wires, its cost read via --admin", async () => {
    const mcp = new URL(addressOf("mcp-tcp"));
    const out = join(dir, "reports");
    const { code, stderr } = await runCli([
      "--target",
      `mcp-tcp=${mcp.hostname}:${mcp.port}`,
      "--target",
      `connect-grpc=${addressOf("connect")}`,
      "--target",
      `http=${addressOf("http")}`,
      "--auth-token",
      TOKEN,
      "--admin",
      addressOf("admin"),
      "--concurrency",
      "2",
      "--tokens",
      "9",
      "--out",
      out,
      ...QUICK,
    ]);
    expect(stderr).toBe("");
    expect(code).toBe(ExitCode.Ok);
    const r = JSON.parse(await readFile(join(out, "bench.json"), "utf8")) as BenchResult;
    expect(r.processes).toEqual([]); // the bench spawned nothing
    expect(r.targets?.map((t) => [t.transport, t.role, t.serverMeasured])).toEqual([
      ["mcp-tcp", "target", true],
      ["connect-grpc", "target", true],
      ["http", "target", true],
    ]);
    const sr = r.scenarios[0];
    expect(sr.summaries.map((s) => s.transport).sort()).toEqual(["connect-grpc", "http", "mcp-tcp"]);
    for (const s of sr.summaries) {
      // At least one reply per wire: what follows holds per reply, whatever the count (a loaded machine got 2 in
      // the 400 ms window, which an earlier '> 2' failed).
      expect(s.merged.ok, s.transport).toBeGreaterThan(0);
      expect(s.merged.requests, s.transport).toBe(s.merged.ok);
      // Tokens are the server's eval_count: 9 asked, 9 counted per reply.
      expect(s.merged.tokens, s.transport).toBe(9 * s.merged.ok);
      // The gateway reports its engine's durations on every wire, so the wire's own cost is measured.
      expect(s.merged.overhead.reported, s.transport).toBe(s.merged.ok);
    }
    for (const w of sr.windows) {
      // Read from the gateway's /control/stats: its CPU, and the bytes its listener for this wire moved.
      expect(w.cost.serverMeasured, w.transport).not.toBe(false);
      expect(w.cost.serverCpuPerRequestUs, w.transport).toBeGreaterThan(0);
      expect(w.cost.bytesIn + w.cost.bytesOut, w.transport).toBeGreaterThan(100 * w.run.ok);
    }
    // Not the bench's own engine: the same request must give the same text on every wire.
    expect(r.verification.mode).toBe("consistency");
    const c = r.verification.consistency!;
    expect(c.inconsistent).toBe(0);
    expect(c.streams).toBe(sr.summaries.reduce((a, s) => a + s.merged.ok, 0));
    expect(c.requests).toBeGreaterThan(0);
    expect(c.unchecked).toBe(0);
  }, 90_000);

  it("refuses a wrong token on the mcp-tcp target before anything runs", async () => {
    const mcp = new URL(addressOf("mcp-tcp"));
    const out = join(dir, "bad");
    const { code, stderr } = await runCli([
      "--target",
      `mcp-tcp=${mcp.hostname}:${mcp.port}`,
      "--auth-token",
      "not-the-token",
      "--out",
      out,
      ...QUICK,
    ]);
    expect(code).toBe(ExitCode.Usage);
    expect(stderr).toContain(`--target mcp-tcp=${mcp.hostname}:${mcp.port}: does not answer as a modelwire gateway`);
    expect(stderr).toContain("[unauthenticated]");
    expect(existsSync(out)).toBe(false);
  }, 60_000);

  it("replays the committed example trace on its mcp-tcp and connect-grpc listeners, every line once, consistent", async () => {
    const example = fileURLToPath(new URL("../../traces/example.jsonl", import.meta.url));
    const trace = parseTrace(await readFile(example, "utf8"), example);
    const mcp = new URL(addressOf("mcp-tcp"));
    const out = join(dir, "trace");
    const { code, stderr } = await runCli([
      "--trace",
      example,
      "--trace-speed",
      "5",
      "--target",
      `mcp-tcp=${mcp.hostname}:${mcp.port}`,
      "--target",
      `connect-grpc=${addressOf("connect")}`,
      "--auth-token",
      TOKEN,
      "--warmup",
      "0",
      "--repeats",
      "1",
      "--quiet",
      "--out",
      out,
    ]);
    expect(stderr).toBe("");
    expect(code).toBe(ExitCode.Ok);
    const r = JSON.parse(await readFile(join(out, "bench.json"), "utf8")) as BenchResult;
    const tokens = trace.entries!.reduce((a, e) => a + (e.maxTokens ?? 16), 0);
    for (const s of r.scenarios[0].summaries) {
      expect(s.merged.requests, s.transport).toBe(trace.requests);
      expect(s.merged.ok, s.transport).toBe(trace.requests);
      expect(s.merged.tokens, s.transport).toBe(tokens);
      expect(s.merged.summaries.sendLag.count, s.transport).toBe(trace.requests);
    }
    expect(r.verification.consistency?.inconsistent).toBe(0);
    expect(r.verification.consistency?.requests).toBe(trace.requests);
  }, 90_000);
});
