import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { sampledCounter } from "../sampled-metrics.js";
import type { FleetEngine } from "./fleet-engine.js";

/** Buckets of the per-upstream time to first chunk, seconds (a model's prompt evaluation is ms to minutes). */
const TTFT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/**
 * Registers a fleet's Prometheus metrics on `registry`, labelled by `upstream` (its URL): the gauges
 * `modelwire_upstream_in_flight` and `modelwire_upstream_state{state}` (1 for the state it is in: up, down,
 * half_open), the counters `modelwire_upstream_requests_total`, `modelwire_upstream_started_total`,
 * `modelwire_upstream_errors_total{code}`, `modelwire_upstream_retried_away_total`,
 * `modelwire_upstream_failed_mid_stream_total`, the histogram `modelwire_upstream_time_to_first_token_seconds`,
 * and the fleet's `modelwire_fleet_retries_total`, `modelwire_fleet_affinity_hits_total`,
 * `modelwire_fleet_waited_total`. Counters are the totals since start (a stats-window reset does not touch them).
 */
export function registerFleetMetrics(registry: Registry, fleet: FleetEngine): void {
  const members = fleet.members;
  const perUpstream = (
    name: string,
    help: string,
    pick: (m: (typeof members)[number]) => number,
    kind: "counter" | "gauge",
  ) => {
    const config = { name, help, labelNames: ["upstream"] as const, registers: [registry] };
    if (kind === "counter") {
      new Counter({
        ...config,
        collect() {
          this.reset();
          for (const m of members) this.inc({ upstream: m.url }, pick(m));
        },
      });
    } else {
      new Gauge({
        ...config,
        collect() {
          for (const m of members) this.set({ upstream: m.url }, pick(m));
        },
      });
    }
  };
  perUpstream(
    "modelwire_upstream_in_flight",
    "Streams the gateway has in flight on each upstream now.",
    (m) => m.inFlight,
    "gauge",
  );
  perUpstream(
    "modelwire_upstream_requests_total",
    "Calls (attempts) sent to each upstream.",
    (m) => m.counters.requests,
    "counter",
  );
  perUpstream(
    "modelwire_upstream_started_total",
    "Attempts that got their first chunk or reply from each upstream.",
    (m) => m.counters.started,
    "counter",
  );
  perUpstream(
    "modelwire_upstream_retried_away_total",
    "Attempts that failed on each upstream before their first token and went to another one.",
    (m) => m.counters.retriedAway,
    "counter",
  );
  perUpstream(
    "modelwire_upstream_failed_mid_stream_total",
    "Streams that failed on each upstream after their first chunk (not retried; the caller got unavailable).",
    (m) => m.counters.failedMidStream,
    "counter",
  );
  new Counter({
    name: "modelwire_upstream_errors_total",
    help: "Failed attempts per upstream and the code seen.",
    labelNames: ["upstream", "code"],
    registers: [registry],
    collect() {
      this.reset();
      for (const m of members) for (const [code, n] of m.counters.errors) this.inc({ upstream: m.url, code }, n);
    },
  });
  new Gauge({
    name: "modelwire_upstream_state",
    help: "Each upstream's circuit breaker state: 1 for the state it is in (up, down, half_open), 0 for the others.",
    labelNames: ["upstream", "state"],
    registers: [registry],
    collect() {
      const t = performance.now();
      for (const m of members) {
        const s = m.breaker.state(t);
        for (const state of ["up", "down", "half-open"] as const) {
          this.set({ upstream: m.url, state: state.replace("-", "_") }, s === state ? 1 : 0);
        }
      }
    },
  });
  const ttft = new Histogram({
    name: "modelwire_upstream_time_to_first_token_seconds",
    help: "Time from sending a call to an upstream to its first chunk, per upstream.",
    labelNames: ["upstream"],
    buckets: TTFT_BUCKETS,
    registers: [registry],
  });
  const byUrl = new Map(members.map((m) => [m.url, ttft.labels(m.url)]));
  fleet.setFirstChunkObserver((url, seconds) => byUrl.get(url)?.observe(seconds));
  sampledCounter(
    registry,
    "modelwire_fleet_retries_total",
    "Attempts made on another upstream after one failed.",
    () => fleet.totals().retries,
  );
  sampledCounter(
    registry,
    "modelwire_fleet_affinity_hits_total",
    "Calls that went to their session's previous upstream.",
    () => fleet.totals().affinityHits,
  );
  sampledCounter(
    registry,
    "modelwire_fleet_waited_total",
    "Calls that waited because every upstream with their model held its stream limit.",
    () => fleet.totals().waited,
  );
}
