import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GATEWAY_MAIN } from "@modelwire/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BenchResult } from "../result.js";
import { type ServerProcess, spawnServerProcess } from "../server-process.js";
import { ExitCode } from "../slo.js";
import { runBenchProcess } from "../test-support/bench-process.js";
import { createNetnsHosts, type NetnsHosts, netnsUnavailable } from "../test-support/netns.js";
import { targetUnsupported } from "../test-support/target-support.js";

/**
 * Agents on separate "hosts": each in a network namespace of its own, reaching the gateway over a veth pair and a
 * private bridge (no route anywhere else). Needs root and iproute2; skipped, with the reason, without them.
 */
const unavailable = existsSync(GATEWAY_MAIN)
  ? ((await targetUnsupported()) ?? netnsUnavailable())
  : "the gateway is not built";
if (unavailable) console.warn(`agent-netns.test.ts skipped: ${unavailable}`);

let hosts: NetnsHosts;
let gateway: ServerProcess;
let dir: string;

describe.skipIf(unavailable !== undefined)("bench agents in two network namespaces against one gateway", () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "bench-agent-netns-"));
    hosts = createNetnsHosts(2);
    gateway = await spawnServerProcess({
      name: "gateway",
      script: GATEWAY_MAIN,
      // Bound to the bridge only: the agents can reach it through their veth, nothing else can.
      args: [
        ...["--host", hosts.serverAddress, "--admin-host", hosts.serverAddress],
        ...["--http-port", "0", "--connect-port", "0", "--mcp-port", "0", "--admin-port", "0", "--tokens", "8"],
      ],
    });
  }, 60_000);
  afterAll(async () => {
    await gateway?.close();
    hosts?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("each agent runs its share from its own address; the merge adds them up", async () => {
    const http = gateway.addresses.find((a) => a.protocol === "http")!.url;
    const admin = gateway.addresses.find((a) => a.protocol === "admin")!.url;
    expect(new URL(http).hostname).toBe(hosts.serverAddress);
    const startAt = String(Date.now() + 10_000);
    const runs = await Promise.all(
      [0, 1].map((i) =>
        runBenchProcess(
          [
            ...["--target", `http=${http}`, "--admin", admin, "--concurrency", "4", "--requests", "120"],
            ...["--duration", "30s", "--warmup", "0", "--repeats", "1", "--quiet"],
            ...["--agents", "2", "--agent-index", String(i), "--start-at", startAt, "--out", join(dir, `a${i}`)],
          ],
          { prefix: hosts.exec(i) },
        ),
      ),
    );
    for (const r of runs) expect(r.code, r.output).toBe(ExitCode.Ok);
    const files = [0, 1].map((i) => join(dir, `a${i}`, "bench.json"));
    const merge = await runBenchProcess(["--report-from", ...files, "--out", join(dir, "merged"), "--quiet"]);
    expect(merge.code, merge.output).toBe(ExitCode.Ok);
    const merged = JSON.parse(await readFile(join(dir, "merged", "bench.json"), "utf8")) as BenchResult;
    const w = merged.scenarios[0].windows[0];
    expect(w.agents?.map((a) => a.requests)).toEqual([60, 60]);
    expect(w.run.requests).toBe(120);
    expect(merged.agents?.agents.map((a) => a.clock?.via)).toEqual(["http", "http"]);
    // Their namespaces have no route but the bridge, so every request went over a veth; the gateway's own listener
    // counters saw them (server-side bytes, kept once, not added per agent).
    expect(w.cost.bytesCountedOn ?? "server").toBe("server");
    expect(w.cost.bytesIn).toBeGreaterThan(120 * 20);
  }, 240_000);
});
