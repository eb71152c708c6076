/**
 * Puts a fleet behind the gateway: one pooled HTTP client per upstream (without its own retries: the fleet
 * retries on another upstream), the fleet engine, an active `/api/version` check per upstream, the periodic
 * `/api/tags` refresh, and the log lines of every change. Loaded only in fleet mode.
 *
 * @module
 */

import { clampTimerMs } from "@modelwire/core";
import { createOllamaClient } from "../load-upstream.js";
import { startUpstreamProbe } from "../upstream-probe.js";
import { createFleetEngine, type FleetEngine } from "./fleet-engine.js";
import type { UpstreamSpec } from "./upstream-spec.js";

/** What {@link setupFleet} needs from the gateway's configuration. */
export interface FleetSetupOptions {
  upstreams: readonly UpstreamSpec[];
  /** Connections each upstream's pool may open (the gateway's streams plus queue, at most 1024). */
  connections: number;
  probeMs: number;
  tagsMs: number;
  attempts: number;
  failures: number;
  backoffMs: number;
  affinity: boolean;
  /** No next chunk of a started stream for this long: it ends `Unavailable` (`upstream_stalled`). */
  interChunkMs?: number;
  /** No first chunk for this long: the call moves to another upstream. */
  firstChunkMs?: number;
  log(line: string): void;
  warn(line: string): void;
}

/** A fleet with its checks. */
export interface FleetSetup {
  engine: FleetEngine;
  /** Starts the checks; `onServing` hears whether any upstream is up after each check and each change. */
  start(onServing: (up: boolean) => void): () => void;
}

/** Creates the fleet engine and (on `start`) its checks. */
export function setupFleet(o: FleetSetupOptions): FleetSetup {
  let notify: (up: boolean) => void = () => {};
  const engine = createFleetEngine({
    upstreams: o.upstreams,
    createClient: (spec) =>
      createOllamaClient({
        host: spec.url,
        connections: Math.min(Math.max(spec.maxStreams ?? o.connections, 1), 1024),
        // The fleet moves a failed call to another upstream; a connection that cannot be made within 3 s is a
        // failure there, not a wait.
        retries: 0,
        connectTimeoutMs: 3_000,
      }),
    attempts: o.attempts,
    failures: o.failures,
    backoffMs: o.backoffMs,
    affinity: o.affinity,
    interChunkMs: o.interChunkMs,
    firstChunkMs: o.firstChunkMs,
    // A stream on an upstream whose check just failed is cut when nothing came for a check interval (at least 1 s).
    stalledMs: Math.min(Math.max(o.probeMs, 1_000), 60_000),
    onState(url, state, detail) {
      if (state === "down") o.warn(`modelwire: warning: upstream ${url} is out (${detail ?? "checks fail"})`);
      else if (state === "up") o.log(`modelwire: upstream ${url} is back`);
      notify(engine.anyUp());
    },
  });
  return {
    engine,
    start(onServing) {
      notify = onServing;
      const stops = engine.members.map((m) =>
        startUpstreamProbe({
          client: m.client,
          url: m.url,
          everyMs: o.probeMs,
          log: o.log,
          warn: o.warn,
          onResult(up) {
            engine.probed(m.index, up);
            onServing(engine.anyUp());
          },
        }),
      );
      const tags = setInterval(() => void engine.refreshTags(), clampTimerMs(o.tagsMs));
      tags.unref();
      return () => {
        clearInterval(tags);
        for (const stop of stops) stop();
        notify = () => {};
      };
    },
  };
}
