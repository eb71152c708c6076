import { readFile } from "node:fs/promises";
import {
  type ClientStats,
  Code,
  createServingState,
  createWriteBudget,
  delay,
  type ListenAddress,
  ModelwireError,
  type ServerStats,
} from "@modelwire/core";
import {
  type Admission,
  type AdmissionStats,
  createAdmission,
  type Engine,
  type EngineStats,
  guardEngine,
  type SyntheticEngine,
} from "@modelwire/engine";
import type { OpenAIForwarder } from "@modelwire/http/server";
import { type AdminServer, createAdminServer } from "./admin.js";
import type { CachedEngine, CacheStats } from "./cache/cached-engine.js";
import { cacheEnabled } from "./cache/enabled.js";
import { badOption, parseOrigins, type ServeConfig } from "./config.js";
import { defaultServeConfig } from "./defaults.js";
import { drainingEngine } from "./draining-engine.js";
import { knobs, parseKnobs, type SyntheticKnobs } from "./engine-knobs.js";
import { createGatewayEngine } from "./engine-setup.js";
import { exposureWarnings } from "./exposure.js";
import type { FleetEngine, FleetStats } from "./fleet/fleet-engine.js";
import { toUpstreamSpecs, type UpstreamInput } from "./fleet/upstream-spec.js";
import { createGatewayMetrics, type GatewayMetrics } from "./metrics.js";
import { createProtocolServers, type ProtocolName } from "./protocols.js";
import { type KeepAlive, type PreloadOutcome, preloadModels, withDefaultKeepAlive } from "./residency.js";

export type { SyntheticKnobs } from "./engine-knobs.js";

/** The `/control/stats` document (see the gateway contract). */
export interface ControlStats {
  pid: number;
  uptimeMs: number;
  cpu: { userMicros: number; systemMicros: number };
  rssBytes: number;
  maxRssBytes: number;
  /** The engine's counters since the stats window began (start, or the last `POST /control/reset`). */
  engine: EngineStats;
  /** Milliseconds since the stats window began (additive to the contract). */
  windowMs: number;
  admission: AdmissionStats;
  servers: Record<ProtocolName, ServerStats>;
  /** `"synthetic"` or `"upstream"` (additive to the contract). */
  mode: "synthetic" | "upstream";
  /** The synthetic knobs in force (synthetic mode; additive). */
  engineConfig?: SyntheticKnobs;
  /** The upstream client's pool figures (one upstream; additive). */
  upstream?: ClientStats;
  /** Each upstream's figures and the fleet's retries (a fleet of upstreams; additive). */
  fleet?: FleetStats;
  /** The response cache's counters (when `--cache-mb` or `--cache-redis` turns it on; additive). */
  cache?: CacheStats;
}

/** A running gateway. */
export interface Gateway {
  /** The configuration it runs with. */
  readonly config: Readonly<ServeConfig>;
  /** Every bound address, in ready-line order. */
  readonly addresses: readonly ListenAddress[];
  /** Milliseconds from process start to every listener bound. */
  readonly startupMs: number;
  /** The engine behind every protocol (unguarded: its counters are the ones `/control/stats` shows). */
  readonly engine: Engine;
  /** The synthetic engine, unless in upstream mode. */
  readonly synthetic?: SyntheticEngine;
  /** The fleet engine, with several upstreams. */
  readonly fleet?: FleetEngine;
  /** The shared overload guard. */
  readonly admission: Admission;
  /** The response cache in front of the engine, when on. */
  readonly cache?: CachedEngine;
  readonly metrics: GatewayMetrics;
  /** True once shutdown began (health checks say NOT_SERVING from then on). */
  readonly draining: boolean;
  /** The URL bound for a protocol (`http`, `connect`, `mcp-tcp`, `mcp-uds`, `admin`). */
  url(protocol: string): string | undefined;
  /** The JSON ready line (without newline). */
  readyLine(): string;
  /** The `/control/stats` document now. */
  stats(): ControlStats;
  /**
   * Shuts down: health checks (gRPC health, `/healthz`) say not serving at once; after `drainDelayMs` (default: the
   * config's), during which calls are still served, it drains: new streams are refused (`Unavailable`), listeners
   * stop accepting, streams in flight may finish within `graceMs` (default: the config's), then connections are cut
   * and the engine and admin listener close. Idempotent.
   */
  close(options?: { graceMs?: number; drainDelayMs?: number }): Promise<void>;
}

/**
 * What {@link startGateway} takes: any part of a {@link ServeConfig}, with `upstream` also as a URL string or a
 * list of URLs and specs (the forms a caller in the same process writes).
 */
export type GatewayConfig = Omit<Partial<ServeConfig>, "upstream"> & { upstream?: UpstreamInput };

/** Logs a line to stderr (never stdout: stdout carries only the ready line). */
export type Logger = (line: string) => void;

const stderrLine: Logger = (line) => process.stderr.write(`${line}\n`);

/**
 * Starts the gateway: the engine (synthetic, or upstream through the HTTP client), the shared admission, every
 * enabled protocol listener and the admin listener. Resolves when all are bound. Fails with a coded
 * ModelwireError (InvalidArgument naming an option, Unavailable for a port in use), closing what it opened.
 * `log` gets the informational lines (default: none); `warn` the warnings, such as a listener reachable from other
 * machines without a token (default: stderr).
 */
export async function startGateway(
  config: GatewayConfig = {},
  log: Logger = () => {},
  warn: Logger = stderrLine,
): Promise<Gateway> {
  const { upstream: upstreamInput, ...rest } = config;
  const cfg: ServeConfig = {
    ...defaultServeConfig(),
    ...stripUndefined(rest),
    upstream: toUpstreamSpecs(upstreamInput, "--upstream"),
  };
  if (cfg.upstream === undefined) delete cfg.upstream;
  const startedAt = performance.now();

  const made = await createGatewayEngine(cfg, log, warn);
  const { engine, synthetic, fleet } = made;
  const upstreamMode = made.mode === "upstream";

  const keepAlive = cfg.keepAlive !== undefined ? await parseKeepAlive(cfg.keepAlive) : undefined;
  const resident = keepAlive ? withDefaultKeepAlive(engine, keepAlive) : engine;
  const admission = createAdmission({ maxInFlight: cfg.maxStreams, maxQueue: cfg.maxQueue });
  // Shutdown has two steps: `stopping` (health checks say NOT_SERVING; with --drain-delay-ms calls are still served
  // for that long), then `draining` (new streams refused, listeners closed, grace period).
  let stopping = false;
  let draining = false;
  // The cache sits outside the admission guard: a hit takes no engine slot.
  const guarded = guardEngine(resident, admission);
  const syntheticEngine = synthetic;
  const namespace = () =>
    syntheticEngine ? `synthetic-${syntheticEngine.config.seed}-${syntheticEngine.config.tokens}` : "upstream";
  let cache: CachedEngine | undefined;
  if (cacheEnabled(cfg)) {
    try {
      // Loaded only when on: the cache and lru-cache stay out of every other start-up.
      const { setupCache } = await import("./cache/setup.js");
      cache = await setupCache(cfg, guarded, namespace, log);
    } catch (e) {
      await engine.close();
      throw e;
    }
  }
  const served = drainingEngine(cache ?? guarded, () => draining);
  const cacheRef = cache;
  // What gRPC health reports: serving unless stopping, or (upstream mode) while the upstream does not answer. In
  // upstream mode it starts not serving, until the first probe answers.
  const serving = createServingState(!upstreamMode);
  const writeBudget = createWriteBudget(cfg.maxQueuedBytes);
  const metrics = createGatewayMetrics({
    writeBudget,
    engine: () => engine.stats(),
    admission: () => admission.stats(),
    upstream: made.upstreamStats,
    fleet,
    cache: cacheRef ? () => cacheRef.cacheStats() : undefined,
  });

  const tls =
    cfg.tlsCert !== undefined && cfg.tlsKey !== undefined ? await readTls(cfg.tlsCert, cfg.tlsKey) : undefined;

  // The OpenAI API goes to the upstreams' own /v1 when they have one (probed), under the same admission: one
  // upstream's straight, a fleet's to the upstream it routes each call to (fleet/fleet-openai.ts). Without /v1
  // the routes translate onto the engine.
  let forwarder: { close(): Promise<void> } | undefined;
  let openaiForwarder: OpenAIForwarder | undefined;
  const upstreamConnections = Math.min(Math.max(cfg.maxStreams + cfg.maxQueue, 1), 1024);
  if (made.upstreamUrl !== undefined && cfg.http) {
    const { createOpenAIForwarder } = await import("./load-upstream.js");
    const f = createOpenAIForwarder({
      upstream: made.upstreamUrl,
      connections: upstreamConnections,
      acquire: (signal) => admission.acquire(signal),
    });
    forwarder = f;
    openaiForwarder = f;
  } else if (fleet && cfg.http) {
    const { createFleetOpenAI } = await import("./fleet/fleet-openai.js");
    const f = createFleetOpenAI({
      engine: fleet,
      connections: upstreamConnections,
      acquire: (signal) => admission.acquire(signal),
    });
    forwarder = f;
    openaiForwarder = f;
  }
  const servers = await createProtocolServers(cfg, {
    engine: served,
    observer: metrics.observer,
    tls,
    openaiForwarder,
    serving,
    writeBudget,
  });
  for (const s of servers) metrics.addServer(s.name, s.server);

  const started = performance.now();
  // The stats window: /control/stats counts engine calls from its start; Prometheus reads the engine's own
  // counters, which never go back (a counter that drops reads as a process restart to Prometheus).
  let windowStart = started;
  let windowBase: EngineStats = { requests: 0, inFlight: 0, tokens: 0, cancelled: 0, errors: 0 };
  const windowedEngineStats = (): EngineStats => {
    const now = engine.stats();
    return {
      requests: now.requests - windowBase.requests,
      inFlight: now.inFlight,
      tokens: now.tokens - windowBase.tokens,
      cancelled: now.cancelled - windowBase.cancelled,
      errors: now.errors - windowBase.errors,
    };
  };
  let admin: AdminServer | undefined;
  const gatewayStats = (): ControlStats => {
    const cpu = process.cpuUsage();
    const usage = process.resourceUsage();
    const zero: ServerStats = { connections: 0, inFlight: 0, bytesIn: 0, bytesOut: 0 };
    const byName = Object.fromEntries(servers.map((s) => [s.name, s.server.stats()]));
    return {
      pid: process.pid,
      uptimeMs: performance.now() - started,
      cpu: { userMicros: cpu.user, systemMicros: cpu.system },
      rssBytes: process.memoryUsage.rss(),
      maxRssBytes: usage.maxRSS * 1024,
      engine: windowedEngineStats(),
      windowMs: performance.now() - windowStart,
      admission: admission.stats(),
      servers: { http: byName.http ?? zero, connect: byName.connect ?? zero, mcp: byName.mcp ?? zero },
      mode: made.mode,
      engineConfig: synthetic ? knobs(synthetic) : undefined,
      upstream: made.upstreamStats?.(),
      fleet: fleet?.fleetStats(),
      cache: cache?.cacheStats(),
    };
  };
  if (cfg.admin) {
    admin = createAdminServer({
      host: cfg.adminHost,
      port: cfg.adminPort,
      token: cfg.adminToken ?? cfg.authToken,
      metricsAuth: cfg.metricsAuth,
      allowedOrigins: cfg.adminOrigins === undefined ? [] : parseOrigins(cfg.adminOrigins),
      handlers: {
        healthy: () => !stopping,
        ready: () => (stopping ? "draining" : serving.serving ? "ready" : "no upstream answers"),
        metrics: () => metrics.render(),
        stats: gatewayStats,
        reset: () => {
          windowBase = { ...engine.stats(), inFlight: 0 };
          windowStart = performance.now();
          fleet?.resetWindow();
        },
        configureEngine: (body) => {
          if (!synthetic) {
            throw new ModelwireError(
              "the engine is an upstream Ollama; its knobs cannot be changed",
              Code.FailedPrecondition,
            );
          }
          synthetic.configure(parseKnobs(body));
          // Keys carry the seed and token count, so no stale reply can be served; free the bytes all the same.
          if (cache?.cacheStats().store.kind === "memory") void cache.clearCache();
          return knobs(synthetic);
        },
      },
    });
  }

  const preload = cfg.preload ?? [];
  if (preload.length > 0 && cfg.readyAfterPreload) {
    // Readiness waits: nothing is bound until every model is loaded, and a model that cannot load stops the start.
    const outcomes = await preloadModels(resident, preload, keepAlive);
    for (const o of outcomes) if (!o.error) log(preloadLine(o));
    const bad = outcomes.find((o) => o.error);
    if (bad?.error) {
      await Promise.allSettled([
        ...servers.map((s) => s.server.close({ graceMs: 0 })),
        cache ? cache.close() : engine.close(),
      ]);
      throw new ModelwireError(`--preload: cannot load "${bad.model}": ${bad.error.rawMessage}`, bad.error.code, {
        option: "--preload",
      });
    }
  }

  // Bind everything at once; on any failure, close what did bind.
  const listening = await Promise.allSettled([
    ...servers.map((s) => s.server.listen()),
    admin ? admin.listen() : Promise.resolve([]),
  ]);
  const failed = listening.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) {
    await Promise.allSettled([
      ...servers.map((s) => s.server.close({ graceMs: 0 })),
      admin?.close(),
      cache ? cache.close() : engine.close(),
      forwarder?.close(),
    ]);
    const cause = ModelwireError.from(failed.reason, Code.Unavailable);
    const index = listening.indexOf(failed);
    const hostProblem = /EADDRNOTAVAIL|ENOTFOUND|EAI_AGAIN|EAI_NONAME/.test(cause.message);
    const socketProblem = cfg.mcpSocket !== undefined && cause.message.includes(cfg.mcpSocket);
    const isAdmin = index >= servers.length;
    const flag = hostProblem
      ? isAdmin
        ? "--admin-host"
        : "--host"
      : socketProblem
        ? "--mcp-socket"
        : isAdmin
          ? "--admin-port"
          : servers[index].flag;
    throw new ModelwireError(`${flag}: cannot listen: ${cause.rawMessage}`, cause.code, { option: flag }, cause);
  }
  const addresses = listening.flatMap((r) => (r as PromiseFulfilledResult<ListenAddress[]>).value);
  for (const line of exposureWarnings(addresses, { authToken: cfg.authToken, adminToken: cfg.adminToken })) {
    warn(line);
  }
  const startupMs = performance.now();
  metrics.setStartupSeconds(startupMs / 1000);
  log(
    `modelwire: ready in ${startupMs.toFixed(1)} ms since process start (${(startupMs - startedAt).toFixed(1)} ms in startGateway); ` +
      `engine ${engineName(cfg, made.mode)}; ${addresses.map((a) => `${a.protocol} ${a.url}`).join(", ")}`,
  );

  if (preload.length > 0 && !cfg.readyAfterPreload) {
    void preloadModels(resident, preload, keepAlive).then((outcomes) => {
      for (const o of outcomes) {
        log(o.error ? `modelwire: warning: --preload ${o.model} failed: ${o.error.rawMessage}` : preloadLine(o));
      }
    });
  }

  // Readiness does not wait for the upstreams (they may start later); the checks say at once when none answers,
  // and keep gRPC health in step.
  const stopProbe = made.startChecks((up) => serving.set(up && !stopping));

  let closing: Promise<void> | undefined;
  const gateway: Gateway = {
    config: cfg,
    addresses,
    startupMs,
    engine,
    synthetic,
    fleet,
    admission,
    cache,
    metrics,
    get draining() {
      return stopping;
    },
    url: (protocol) => addresses.find((a) => a.protocol === protocol)?.url,
    readyLine: () =>
      JSON.stringify({ event: "ready", pid: process.pid, startupMs: Math.round(startupMs * 10) / 10, addresses }),
    stats: gatewayStats,
    close(options = {}) {
      if (closing) return closing;
      stopping = true;
      stopProbe();
      serving.set(false);
      const graceMs = options.graceMs ?? cfg.graceMs;
      const drainDelayMs = options.drainDelayMs ?? cfg.drainDelayMs;
      closing = (async () => {
        if (drainDelayMs > 0) await delay(drainDelayMs);
        draining = true;
        const t0 = performance.now();
        await Promise.allSettled(servers.map((s) => s.server.close({ graceMs })));
        await Promise.allSettled([cache ? cache.close() : engine.close(), forwarder?.close()]);
        await admin?.close();
        log(`modelwire: closed in ${(performance.now() - t0).toFixed(0)} ms`);
      })();
      return closing;
    },
  };
  return gateway;
}

function engineName(cfg: ServeConfig, mode: string): string {
  const list = cfg.upstream ?? [];
  if (mode === "synthetic") return "synthetic";
  return list.length === 1
    ? `upstream ${list[0].url}`
    : `fleet of ${list.length} upstreams (${list.map((u) => u.url).join(", ")})`;
}

async function readTls(certPath: string, keyPath: string): Promise<{ cert: Buffer; key: Buffer }> {
  const read = async (path: string, flag: string) => {
    try {
      return await readFile(path);
    } catch (e) {
      throw badOption(flag, `cannot read ${path}: ${(e as Error).message}`);
    }
  };
  // One after the other, so that when both fail the error always names --tls-cert (in parallel, the first
  // rejection to settle won, and which one that was varied from run to run).
  const cert = await read(certPath, "--tls-cert");
  const key = await read(keyPath, "--tls-key");
  return { cert, key };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function preloadLine(o: PreloadOutcome): string {
  // Ollama's load reply (done_reason "load") carries no durations, so the wall time is the figure; an engine that
  // does report one gets it beside.
  const reported = o.loadMs > 0 ? ` (load_duration ${o.loadMs.toFixed(1)} ms)` : "";
  return `modelwire: preloaded ${o.model} in ${o.ms.toFixed(1)} ms${reported}`;
}

/** `--keep-alive` in Ollama's forms, parsed as the HTTP API parses `keep_alive` (bare numbers are seconds). */
async function parseKeepAlive(text: string): Promise<KeepAlive> {
  const { keepAliveFromJson } = await import("./load-http.js");
  const t = text.trim();
  try {
    return keepAliveFromJson(/^[-+]?\d+(\.\d+)?$/.test(t) ? Number(t) : t, "--keep-alive");
  } catch (e) {
    throw badOption("--keep-alive", ModelwireError.from(e).rawMessage.replace(/^--keep-alive: /, ""));
  }
}
