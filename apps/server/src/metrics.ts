import {
  type CallObserver,
  type ClientStats,
  codeName,
  type ModelwireError,
  type ServerObserver,
  type ServerStats,
  type WriteBudget,
} from "@modelwire/core";
import type { AdmissionStats, EngineStats } from "@modelwire/engine";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { registerCacheMetrics } from "./cache/cache-metrics.js";
import type { CacheStats } from "./cache/cached-engine.js";
import type { FleetEngine } from "./fleet/fleet-engine.js";
import { registerFleetMetrics } from "./fleet/fleet-metrics.js";
import { sampledCounter, sampledGauge } from "./sampled-metrics.js";

/** Where the metrics read figures that live elsewhere, sampled at scrape time. */
export interface MetricsSources {
  /** The engine's counters. */
  engine: () => EngineStats;
  /** The shared admission's figures. */
  admission: () => AdmissionStats;
  /** The upstream client's pool figures (one upstream only). */
  upstream?: () => ClientStats;
  /** The fleet, with several upstreams: per-upstream figures. */
  fleet?: FleetEngine;
  /** The response cache's counters (when it is on). */
  cache?: () => CacheStats;
  /** The budget on bytes queued for readers behind (`--max-queued-bytes`). */
  writeBudget?: WriteBudget;
}

/** The gateway's Prometheus metrics and the observer every protocol server reports to. */
export interface GatewayMetrics {
  /** Hand this to every protocol server. */
  readonly observer: ServerObserver;
  /** The prom-client registry (process metrics included). */
  readonly registry: Registry;
  /** Registers a server whose socket figures (connections, bytes in/out) are sampled at scrape time. */
  addServer(protocol: string, server: { stats(): ServerStats }): void;
  /** Records the time from process start to ready. */
  setStartupSeconds(seconds: number): void;
  /** The exposition text and its content type. */
  render(): Promise<{ contentType: string; body: string }>;
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const TTFT_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Plain counters per (protocol, method): the hot path touches only these; prom-client reads them on scrape. */
interface MethodEntry {
  protocol: string;
  method: string;
  requests: number;
  inFlight: number;
  tokens: number;
  latency: { observe(v: number): void };
  ttft: { observe(v: number): void };
}

/**
 * Creates the gateway metrics on a private registry: per protocol and method, requests, errors by code, calls in
 * flight, latency and time-to-first-token histograms and tokens streamed; per protocol, connections and bytes in
 * and out (from each server's `stats()`); admission, engine and upstream pool figures; process CPU, RSS, heap and
 * event-loop figures (prom-client default metrics).
 *
 * The observer's per-token cost is one property increment; counters become prom-client samples only on scrape.
 */
export function createGatewayMetrics(sources: MetricsSources): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const entries = new Map<string, MethodEntry>();
  const servers = new Map<string, { stats(): ServerStats }>();
  const pm = ["protocol", "method"] as const;

  new Counter({
    name: "modelwire_requests_total",
    help: "Calls started, per protocol and method.",
    labelNames: pm,
    registers: [registry],
    collect() {
      this.reset();
      for (const e of entries.values()) this.inc({ protocol: e.protocol, method: e.method }, e.requests);
    },
  });
  const errors = new Counter({
    name: "modelwire_errors_total",
    help: "Calls that failed, per protocol, method and the status code the client saw.",
    labelNames: [...pm, "code"],
    registers: [registry],
  });
  new Gauge({
    name: "modelwire_streams_in_flight",
    help: "Calls (streams and unary calls) in progress now, per protocol and method.",
    labelNames: pm,
    registers: [registry],
    collect() {
      for (const e of entries.values()) this.set({ protocol: e.protocol, method: e.method }, e.inFlight);
    },
  });
  new Counter({
    name: "modelwire_tokens_total",
    help: "Content chunks (tokens) streamed to clients, per protocol and method.",
    labelNames: pm,
    registers: [registry],
    collect() {
      this.reset();
      for (const e of entries.values()) this.inc({ protocol: e.protocol, method: e.method }, e.tokens);
    },
  });
  const latency = new Histogram({
    name: "modelwire_request_duration_seconds",
    help: "Time from a call's start to its end (last chunk or error), per protocol and method.",
    labelNames: pm,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const ttft = new Histogram({
    name: "modelwire_time_to_first_token_seconds",
    help: "Time from a call's start to its first content chunk, per protocol and method.",
    labelNames: pm,
    buckets: TTFT_BUCKETS,
    registers: [registry],
  });

  const perServer = (name: string, help: string, pick: (s: ServerStats) => number, counter: boolean) => {
    const config = {
      name,
      help,
      labelNames: ["protocol"] as const,
      registers: [registry],
    };
    if (counter) {
      new Counter({
        ...config,
        collect() {
          this.reset();
          for (const [protocol, s] of servers) this.inc({ protocol }, pick(s.stats()));
        },
      });
    } else {
      new Gauge({
        ...config,
        collect() {
          for (const [protocol, s] of servers) this.set({ protocol }, pick(s.stats()));
        },
      });
    }
  };
  perServer(
    "modelwire_received_bytes_total",
    "Bytes read from clients' sockets, per protocol.",
    (s) => s.bytesIn,
    true,
  );
  perServer("modelwire_sent_bytes_total", "Bytes written to clients' sockets, per protocol.", (s) => s.bytesOut, true);
  perServer("modelwire_connections", "Client connections open now, per protocol.", (s) => s.connections, false);
  perServer("modelwire_server_in_flight", "Calls in flight as each server counts them.", (s) => s.inFlight, false);

  const gauge = (name: string, help: string, read: () => number) => sampledGauge(registry, name, help, read);
  gauge(
    "modelwire_admission_in_flight",
    "Streams holding an admission slot now (all protocols).",
    () => sources.admission().inFlight,
  );
  gauge("modelwire_admission_queued", "Calls waiting for an admission slot now.", () => sources.admission().queued);
  const total = (name: string, help: string, read: () => number) => sampledCounter(registry, name, help, read);
  total("modelwire_admission_admitted_total", "Calls admitted since start.", () => sources.admission().admitted);
  total(
    "modelwire_admission_rejected_total",
    "Calls refused as overload since start.",
    () => sources.admission().rejected,
  );
  const budget = sources.writeBudget;
  if (budget) {
    gauge(
      "modelwire_queued_write_bytes",
      "Bytes queued now for readers that are behind, all listeners (what --max-queued-bytes bounds).",
      () => budget.held(),
    );
    total(
      "modelwire_write_budget_cut_total",
      "Streams or MCP connections cut since start for holding the most while over --max-queued-bytes.",
      () => budget.cut,
    );
  }
  gauge("modelwire_engine_in_flight", "Engine calls in progress now.", () => sources.engine().inFlight);
  total("modelwire_engine_requests_total", "Engine calls since start (never reset).", () => sources.engine().requests);
  total(
    "modelwire_engine_tokens_total",
    "Tokens the engine produced since start (never reset).",
    () => sources.engine().tokens,
  );
  total(
    "modelwire_engine_cancelled_total",
    "Engine calls cancelled since start (never reset).",
    () => sources.engine().cancelled,
  );
  total(
    "modelwire_engine_errors_total",
    "Engine calls failed since start (never reset).",
    () => sources.engine().errors,
  );
  const upstream = sources.upstream;
  if (upstream) {
    gauge("modelwire_upstream_connections_open", "Connections to the upstream Ollama now.", () => upstream().open);
    gauge(
      "modelwire_upstream_connections_active",
      "Upstream connections with a call in flight.",
      () => upstream().active,
    );
    gauge("modelwire_upstream_connections_idle", "Upstream connections idle now.", () => upstream().idle);
    gauge("modelwire_upstream_queued", "Calls waiting for an upstream connection.", () => upstream().queued);
  }
  if (sources.fleet) registerFleetMetrics(registry, sources.fleet);
  if (sources.cache) registerCacheMetrics(registry, sources.cache);
  const startup = new Gauge({
    name: "modelwire_startup_seconds",
    help: "Time from process start to every listener bound.",
    registers: [registry],
  });

  const entryFor = (protocol: string, method: string): MethodEntry => {
    const key = `${protocol}\0${method}`;
    let e = entries.get(key);
    if (!e) {
      e = {
        protocol,
        method,
        requests: 0,
        inFlight: 0,
        tokens: 0,
        latency: latency.labels(protocol, method),
        ttft: ttft.labels(protocol, method),
      };
      entries.set(key, e);
    }
    return e;
  };

  const observer: ServerObserver = {
    callStarted(protocol, method): CallObserver {
      const e = entryFor(protocol, method);
      e.requests++;
      e.inFlight++;
      const start = performance.now();
      let first = true;
      let ended = false;
      return {
        chunk() {
          e.tokens++;
          if (first) {
            first = false;
            e.ttft.observe((performance.now() - start) / 1000);
          }
        },
        end(error?: ModelwireError) {
          if (ended) return;
          ended = true;
          e.inFlight--;
          e.latency.observe((performance.now() - start) / 1000);
          if (error) errors.inc({ protocol, method, code: codeName(error.code) });
        },
      };
    },
  };

  return {
    observer,
    registry,
    addServer(protocol, server) {
      servers.set(protocol, server);
    },
    setStartupSeconds(seconds) {
      startup.set(seconds);
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
