import type { ClientStats } from "@modelwire/core";
import {
  createSyntheticEngine,
  createUpstreamEngine,
  type Engine,
  type SyntheticEngine,
  type UpstreamEngine,
} from "@modelwire/engine";
import type { ServeConfig } from "./config.js";
import type { FleetEngine } from "./fleet/fleet-engine.js";
import type { Logger } from "./gateway.js";
import { loadOllamaClient } from "./protocols.js";
import { startUpstreamProbe } from "./upstream-probe.js";

/** The engine behind every protocol, by mode. */
export interface GatewayEngine {
  engine: Engine;
  mode: "synthetic" | "upstream";
  /** Synthetic mode. */
  synthetic?: SyntheticEngine;
  /** One upstream (the single-upstream path, unchanged by the fleet). */
  upstream?: UpstreamEngine;
  /** The single upstream's URL. */
  upstreamUrl?: string;
  /** Several upstreams (or one with a stream limit). */
  fleet?: FleetEngine;
  /** Pool figures of the single upstream's client. */
  upstreamStats?: () => ClientStats;
  /**
   * Starts the upstream checks (none in synthetic mode): `onServing` hears after each whether calls can be served.
   * Returns the function that stops them.
   */
  startChecks(onServing: (up: boolean) => void): () => void;
}

/** True when the configuration asks for a fleet: several upstreams, or one with a stream limit. */
export function isFleet(cfg: Pick<ServeConfig, "upstream">): boolean {
  const list = cfg.upstream ?? [];
  return list.length > 1 || list.some((u) => u.maxStreams !== undefined);
}

/**
 * Creates the gateway's engine: synthetic; one upstream through the pooled HTTP client (as before fleets existed);
 * or a fleet (`fleet/`, loaded only then).
 */
export async function createGatewayEngine(cfg: ServeConfig, log: Logger, warn: Logger): Promise<GatewayEngine> {
  const list = cfg.upstream ?? [];
  const connections = Math.min(Math.max(cfg.maxStreams + cfg.maxQueue, 1), 1024);
  if (list.length === 0) {
    const synthetic = createSyntheticEngine({
      seed: cfg.seed,
      ttftMs: cfg.ttftMs,
      interTokenMs: cfg.interTokenMs,
      tokens: cfg.tokens,
      jitter: cfg.jitter,
      loadMs: cfg.loadMs,
    });
    return { engine: synthetic, mode: "synthetic", synthetic, startChecks: () => () => {} };
  }
  if (isFleet(cfg)) {
    const { setupFleet } = await import("./fleet/setup.js");
    const setup = setupFleet({
      upstreams: list,
      connections,
      probeMs: cfg.upstreamProbeMs,
      tagsMs: cfg.upstreamTagsMs,
      attempts: cfg.upstreamAttempts,
      failures: cfg.upstreamFailures,
      backoffMs: cfg.upstreamBackoffMs,
      affinity: cfg.upstreamAffinity,
      interChunkMs: cfg.upstreamStallMs,
      firstChunkMs: cfg.upstreamFirstChunkMs,
      log,
      warn,
    });
    return { engine: setup.engine, mode: "upstream", fleet: setup.engine, startChecks: (f) => setup.start(f) };
  }
  const url = list[0].url;
  const createClient = await loadOllamaClient();
  const client = createClient(url, cfg.maxStreams + cfg.maxQueue);
  const upstream = createUpstreamEngine(client);
  return {
    engine: upstream,
    mode: "upstream",
    upstream,
    upstreamUrl: url,
    upstreamStats: () => upstream.upstreamStats(),
    // Readiness does not wait for the upstream (it may start later); the probe says at once when it does not
    // answer, and keeps gRPC health in step with it.
    startChecks: (onServing) =>
      startUpstreamProbe({ client, url, everyMs: cfg.upstreamProbeMs, log, onResult: onServing }),
  };
}
