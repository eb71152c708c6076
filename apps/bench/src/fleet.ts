import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { InferenceClient } from "@modelwire/core";
import type { Progress } from "./progress.js";
import type { BenchResult, ProcessInfo, Scenario } from "./result.js";
import {
  type EngineKnobs,
  nodeArgsFor,
  type ProcessStats,
  type ServerProcess,
  spawnServerProcess,
} from "./server-process.js";
import type { ServerKind, TransportPlugin } from "./transports.js";
import { type LoadWorkers, startLoadWorkers } from "./worker-pool.js";
import type { WorkerMode } from "./worker-spawn.js";

/** One transport ready to measure: its client, its worker threads (if any) and its server's figures. */
export interface Target {
  readonly transport: TransportPlugin;
  readonly client: InferenceClient;
  /** Load-generator worker threads, when the run uses more than one. */
  readonly pool?: LoadWorkers;
  /** The server's process figures (CPU, RSS, bytes per listener): a window's cost is the difference of two reads. */
  stats(): Promise<ProcessStats>;
}

/**
 * What a run measures against: the server processes its transports need and one {@link Target} per transport that
 * could start. {@link startFleet} spawns local servers; another source of targets (servers already running
 * elsewhere) is another implementation of this interface.
 */
export interface Fleet {
  /** The transports that have a target, in the configured order. */
  readonly active: readonly Target[];
  /** Transports left out, and why (their server or client did not start). */
  readonly skipped: BenchResult["skipped"];
  /** Sets every server's synthetic engine for calls that start afterwards. */
  configureEngine(knobs: EngineKnobs): Promise<void>;
  /** Start-up time and peak RSS of each server process. */
  processes(): Promise<ProcessInfo[]>;
  /** Closes worker threads, clients and servers (never throws). */
  close(): Promise<void>;
}

/** What {@link startFleet} needs from the bench configuration. */
export interface FleetConfig {
  transports: readonly TransportPlugin[];
  /** Sizes client pools: the most streams any scenario holds in flight. */
  scenarios: readonly Scenario[];
  /** The gateway's built entry (`GATEWAY_MAIN`); required when a gateway transport is selected. */
  gatewayMain?: string;
  /** Extra gateway flags. */
  gatewayArgs?: string[];
  /** Pin servers to these CPUs with taskset (e.g. "1"). */
  serverCpus?: string;
  /** Client connections per transport (where the transport pools). */
  connections?: number;
  /** Load-generator workers per transport (default 1: the main thread drives the load). */
  workers?: number;
  /** Workers as threads (default) or processes; a process mode runs even one worker in a process of its own. */
  workerMode?: WorkerMode;
  /** CPUs to pin worker processes to, round-robin (`--client-cpus`). */
  clientCpus?: readonly number[];
  /** The synthetic engine's seed, passed to every server. */
  seed: number;
}

const REFERENCE_MAIN = fileURLToPath(
  new URL(`./reference-main.${import.meta.url.endsWith(".ts") ? "ts" : "js"}`, import.meta.url),
);

function startServer(kind: ServerKind, cfg: FleetConfig, socketDir: string): Promise<ServerProcess> {
  if (kind === "gateway") {
    if (!cfg.gatewayMain) throw new Error("no gateway entry (GATEWAY_MAIN) available; build @modelwire/server");
    return spawnServerProcess({
      name: "gateway",
      script: cfg.gatewayMain,
      args: [
        "--http-port",
        "0",
        "--connect-port",
        "0",
        "--mcp-port",
        "0",
        "--admin-port",
        "0",
        "--mcp-socket",
        join(socketDir, "mcp.sock"),
        "--max-streams",
        "8192",
        "--seed",
        String(cfg.seed),
        ...(cfg.gatewayArgs ?? []),
      ],
      cpus: cfg.serverCpus,
    });
  }
  return spawnServerProcess({
    name: kind,
    script: REFERENCE_MAIN,
    nodeArgs: nodeArgsFor(import.meta.url),
    args: ["--kind", kind, "--seed", String(cfg.seed)],
    cpus: cfg.serverCpus,
  });
}

/** The most streams any scenario holds in flight (closed loop: its concurrency; open loop: its cap, else 1024). */
function maxStreams(scenarios: readonly Scenario[]): number {
  return Math.max(
    1,
    ...scenarios.map((s) => (s.load.mode === "closed" ? s.load.concurrency : (s.load.maxInFlight ?? 1024))),
  );
}

/**
 * Starts each server process the transports need (once per kind), then a client (and worker threads) per
 * transport. A server or client that fails to start skips its transports, saying why; when none can run, everything
 * started is closed and the promise rejects.
 */
export async function startFleet(cfg: FleetConfig, progress: Progress): Promise<Fleet> {
  const socketDir = await mkdtemp(join(tmpdir(), "modelwire-bench-"));
  const servers = new Map<ServerKind, ServerProcess>();
  const active: Target[] = [];
  const skipped: BenchResult["skipped"] = [];
  const fleet: Fleet = {
    active,
    skipped,
    async configureEngine(knobs) {
      for (const s of servers.values()) await s.configureEngine({ ...knobs });
    },
    async processes() {
      const out: ProcessInfo[] = [];
      for (const [kind, s] of servers) {
        const st = await s.stats().catch(() => undefined);
        const info: ProcessInfo = {
          name: kind,
          pid: s.pid,
          startupMs: s.startupMs,
          maxRssBytes: st?.maxRssBytes ?? NaN,
        };
        if (cfg.serverCpus) info.cpus = cfg.serverCpus;
        out.push(info);
      }
      return out;
    },
    async close() {
      for (const t of active) await t.pool?.close().catch(() => {});
      for (const t of active) await t.client.close().catch(() => {});
      for (const s of servers.values()) await s.close().catch(() => {});
      await rm(socketDir, { recursive: true, force: true });
    },
  };
  try {
    for (const kind of new Set(cfg.transports.map((t) => t.server))) {
      try {
        const s = await startServer(kind, cfg, socketDir);
        servers.set(kind, s);
        progress.line(
          `started ${kind} (pid ${s.pid}) in ${s.startupMs.toFixed(1)} ms${cfg.serverCpus ? ` on CPU ${cfg.serverCpus}` : ""}`,
        );
      } catch (e) {
        for (const t of cfg.transports.filter((x) => x.server === kind))
          skipped.push({ transport: t.name, reason: `${kind} did not start: ${(e as Error).message}` });
        progress.line(`skipping ${kind} transports: ${(e as Error).message}`);
      }
    }
    const streams = maxStreams(cfg.scenarios);
    for (const transport of cfg.transports) {
      const server = servers.get(transport.server);
      if (!server) continue;
      try {
        const client = await transport.create(server.addresses, { connections: cfg.connections, streams });
        active.push({ transport, client, stats: () => server.stats() });
      } catch (e) {
        skipped.push({ transport: transport.name, reason: (e as Error).message });
        progress.line(`skipping ${transport.name}: ${(e as Error).message}`);
      }
    }
    const workers = cfg.workers ?? 1;
    const mode = cfg.workerMode ?? "thread";
    if (workers > 1 || mode === "process") {
      for (const [i, t] of active.entries()) {
        const addresses = servers.get(t.transport.server)!.addresses;
        const opts = { mode, cpus: cfg.clientCpus };
        active[i] = { ...t, pool: await startLoadWorkers(workers, t.transport.name, addresses, cfg.connections, opts) };
      }
      progress.line(
        `load generator: ${workers} worker ${mode === "process" ? "processes" : "threads"} per transport${cfg.clientCpus?.length ? ` on CPUs ${cfg.clientCpus.join(",")}` : ""}`,
      );
    }
    if (active.length === 0)
      throw new Error(`no transport could run: ${skipped.map((s) => `${s.transport}: ${s.reason}`).join("; ")}`);
    return fleet;
  } catch (e) {
    await fleet.close();
    throw e;
  }
}
