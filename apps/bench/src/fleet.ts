import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { InferenceClient } from "@modelwire/core";
import type { Progress } from "./progress.js";
import type { BenchResult, ProcessInfo, Scenario, TargetInfo } from "./result.js";
import {
  type EngineKnobs,
  freePortArgs,
  nodeArgsFor,
  type ProcessStats,
  type ServerProcess,
  spawnServerProcess,
} from "./server-process.js";
import { adminFor, adminReader, chooseModel, endpointOf, type ForeignOptions, probeModels } from "./targets/foreign.js";
import type { TargetSpec } from "./targets/target-spec.js";
import { directName, isDirect } from "./targets/upstreams.js";
import { type Endpoint, endpointFor, type ServerKind, TRANSPORTS, type TransportPlugin } from "./transports.js";
import { type LoadWorkers, startLoadWorkers } from "./worker-pool.js";
import type { WorkerMode } from "./worker-spawn.js";
import type { WorkMode } from "./workload.js";

/**
 * One transport ready to measure: its client, its worker threads (if any), and how its server's figures are read.
 */
export interface Target {
  readonly transport: TransportPlugin;
  readonly client: InferenceClient;
  /** Where the client connects (worker threads build their own client from it). */
  readonly endpoint: Endpoint;
  /**
   * The engine behind it: `synthetic` (a server the bench started with the synthetic engine: every token is
   * verified) or `real` (a server it did not start, or its gateway in front of `--upstream`: output is checked for
   * consistency across wires).
   */
  readonly engine: "synthetic" | "real";
  /** Load-generator worker threads, when the run uses more than one. */
  readonly pool?: LoadWorkers;
  /**
   * The server's process figures (CPU, RSS, bytes per listener): a window's cost is the difference of two reads.
   * Undefined for a foreign server without `--admin`: its cost is not measured, and bytes are counted on the
   * client's sockets.
   */
  readonly stats?: () => Promise<ProcessStats>;
}

/** The work mode for a target: the synthetic engine's verified tokens, or the fleet's model on a real engine. */
export function workModeOf(t: Target, model: string | undefined): WorkMode {
  return t.engine === "synthetic" ? { engine: "synthetic" } : { engine: "real", ...(model ? { model } : {}) };
}

/**
 * What a run measures against: the server processes its transports need, servers already running elsewhere
 * (`--target`), and one {@link Target} per transport that could start.
 */
export interface Fleet {
  /** The transports that have a target, in the configured order. */
  readonly active: readonly Target[];
  /** Transports left out, and why (their server or client did not start). */
  readonly skipped: BenchResult["skipped"];
  /** The model asked of real engines (foreign targets and the upstream), when there are any. */
  readonly model?: string;
  /** What each foreign target and the upstream is, for the report. */
  readonly targets: readonly TargetInfo[];
  /** Sets every spawned synthetic engine for calls that start afterwards (a no-op for the others). */
  configureEngine(knobs: EngineKnobs): Promise<void>;
  /** Start-up time and peak RSS of each server process the bench started. */
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
  /** Servers already running elsewhere: their transports are not spawned. */
  targets?: readonly TargetSpec[];
  /** The Ollama the spawned gateway sits in front of; `direct` talks to it straight. */
  upstream?: string;
  /** Several upstreams (the first is `upstream`): the gateway runs in front of all, `direct-N` talks to the N-th. */
  upstreams?: string[];
  /** Token, CA, model and admin URLs for foreign servers (and the upstream). */
  foreign?: ForeignOptions;
}

const REFERENCE_MAIN = fileURLToPath(
  new URL(`./reference-main.${import.meta.url.endsWith(".ts") ? "ts" : "js"}`, import.meta.url),
);

async function startServer(kind: ServerKind, cfg: FleetConfig, socketDir: string): Promise<ServerProcess> {
  if (kind === "gateway") {
    if (!cfg.gatewayMain) throw new Error("no gateway entry (GATEWAY_MAIN) available; build @modelwire/server");
    return spawnServerProcess({
      name: "gateway",
      script: cfg.gatewayMain,
      args: [
        ...(await freePortArgs()),
        "--mcp-socket",
        join(socketDir, "mcp.sock"),
        "--max-streams",
        "8192",
        "--seed",
        String(cfg.seed),
        ...upstreamsOf(cfg).flatMap((u) => ["--upstream", u]),
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

/** Every upstream, in order. */
function upstreamsOf(cfg: FleetConfig): string[] {
  return cfg.upstreams ?? (cfg.upstream !== undefined ? [cfg.upstream] : []);
}

/** A foreign server to open: `--target` entries, and each upstream as its direct transport's target. */
function foreignSpecs(cfg: FleetConfig): TargetSpec[] {
  const ups = upstreamsOf(cfg);
  const direct: TargetSpec[] = ups
    .map((url, i) => ({ transport: directName(i, ups.length), address: url, url }))
    .filter((d) => cfg.transports.some((t) => t.name === d.transport));
  return [...direct, ...(cfg.targets ?? [])];
}

/**
 * Opens clients to the foreign servers and checks them (reachable, the right kind of server, the model there),
 * then starts each server process the remaining transports need (once per kind), then a client (and worker
 * threads) per transport. A foreign server that fails its check fails the run before anything is spawned (a
 * {@link TargetError}); a spawned server or client that fails to start skips its transports, saying why; when
 * none can run, everything started is closed and the promise rejects.
 */
export async function startFleet(cfg: FleetConfig, progress: Progress): Promise<Fleet> {
  const socketDir = await mkdtemp(join(tmpdir(), "modelwire-bench-"));
  const servers = new Map<ServerKind, ServerProcess>();
  const foreign = new Map<string, Omit<Target, "pool">>();
  const active: Target[] = [];
  const skipped: BenchResult["skipped"] = [];
  const targets: TargetInfo[] = [];
  const streams = maxStreams(cfg.scenarios);
  const fo = cfg.foreign ?? {};
  let model: string | undefined;
  const fleet: Fleet = {
    active,
    skipped,
    get model() {
      return model;
    },
    targets,
    async configureEngine(knobs) {
      for (const [kind, s] of servers)
        if (kind !== "gateway" || cfg.upstream === undefined) await s.configureEngine({ ...knobs });
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
      for (const t of foreign.values())
        if (!active.some((a) => a.client === t.client)) await t.client.close().catch(() => {});
      for (const s of servers.values()) await s.close().catch(() => {});
      await rm(socketDir, { recursive: true, force: true });
    },
  };
  try {
    // Foreign servers first: a wrong address or a missing model fails before any process is spawned.
    const specs = foreignSpecs(cfg);
    const listed: Array<{ spec: TargetSpec; names: string[] }> = [];
    for (const spec of specs) {
      const direct = isDirect(spec.transport);
      const transport =
        cfg.transports.find((t) => t.name === spec.transport) ?? TRANSPORTS.find((t) => t.name === spec.transport)!;
      const endpoint = endpointOf(spec, direct ? { ...fo, authToken: undefined } : fo);
      const client = await transport.create(endpoint, { connections: cfg.connections, streams });
      const admin = direct ? undefined : adminFor(spec.transport, fo.admin);
      const stats = admin !== undefined ? adminReader(admin, fo.adminToken ?? fo.authToken) : undefined;
      foreign.set(spec.transport, { transport, client, endpoint, engine: "real", ...(stats ? { stats } : {}) });
      listed.push({ spec, names: await probeModels(spec, client) });
      if (stats) await stats();
      targets.push({
        transport: spec.transport,
        address: spec.address,
        role: direct ? "upstream" : "target",
        serverMeasured: stats !== undefined,
      });
    }
    if (listed.length > 0) {
      model = chooseModel(listed, fo.model);
      for (const t of targets) t.model = model;
      progress.line(`targets: ${targets.map((t) => `${t.transport}=${t.address}`).join(", ")}; model ${model}`);
    }
    const spawnKinds = new Set(cfg.transports.filter((t) => !foreign.has(t.name)).map((t) => t.server));
    spawnKinds.delete("upstream");
    for (const kind of spawnKinds) {
      try {
        const s = await startServer(kind, cfg, socketDir);
        servers.set(kind, s);
        progress.line(
          `started ${kind}${kind === "gateway" && cfg.upstream ? ` in front of ${upstreamsOf(cfg).join(", ")}` : ""} (pid ${s.pid}) in ${s.startupMs.toFixed(1)} ms${cfg.serverCpus ? ` on CPU ${cfg.serverCpus}` : ""}`,
        );
      } catch (e) {
        for (const t of cfg.transports.filter((x) => x.server === kind && !foreign.has(x.name)))
          skipped.push({ transport: t.name, reason: `${kind} did not start: ${(e as Error).message}` });
        progress.line(`skipping ${kind} transports: ${(e as Error).message}`);
      }
    }
    for (const transport of cfg.transports) {
      const f = foreign.get(transport.name);
      if (f) {
        active.push(f);
        continue;
      }
      const server = servers.get(transport.server);
      if (!server) continue;
      try {
        const endpoint = endpointFor(transport, server.addresses);
        const client = await transport.create(endpoint, { connections: cfg.connections, streams });
        const engine = transport.server === "gateway" && cfg.upstream !== undefined ? "real" : "synthetic";
        active.push({ transport, client, endpoint, engine, stats: () => server.stats() });
      } catch (e) {
        skipped.push({ transport: transport.name, reason: (e as Error).message });
        progress.line(`skipping ${transport.name}: ${(e as Error).message}`);
      }
    }
    const workers = cfg.workers ?? 1;
    const mode = cfg.workerMode ?? "thread";
    if (workers > 1 || mode === "process") {
      for (const [i, t] of active.entries()) {
        const opts = { mode, cpus: cfg.clientCpus };
        active[i] = {
          ...t,
          pool: await startLoadWorkers(workers, t.transport.name, t.endpoint, cfg.connections, opts),
        };
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
