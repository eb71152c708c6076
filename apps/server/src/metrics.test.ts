import { Code, ModelwireError } from "@modelwire/core";
import { createAdmission } from "@modelwire/engine";
import { describe, expect, it } from "vitest";
import { createGatewayMetrics } from "./metrics.js";
import { parsePrometheus, sumOf } from "./test-support/prometheus.js";

function setup() {
  const admission = createAdmission({ maxInFlight: 2 });
  const engineStats = { requests: 3, inFlight: 1, tokens: 40, cancelled: 1, errors: 2 };
  const serverStats = { connections: 2, inFlight: 1, bytesIn: 1234, bytesOut: 56789 };
  const metrics = createGatewayMetrics({ engine: () => engineStats, admission: () => admission.stats() });
  metrics.addServer("http", { stats: () => serverStats });
  return { metrics, admission, serverStats };
}

describe("createGatewayMetrics", () => {
  it("counts calls, tokens, errors by code, in-flight, latency and TTFT per protocol and method", async () => {
    const { metrics } = setup();
    const a = metrics.observer.callStarted("http", "generate");
    a.chunk();
    a.chunk();
    a.chunk();
    a.end();
    a.end(); // idempotent
    const b = metrics.observer.callStarted("grpc", "chat");
    b.end(new ModelwireError("busy", Code.ResourceExhausted));
    const c = metrics.observer.callStarted("grpc", "chat"); // still running
    c.chunk();

    const fams = parsePrometheus((await metrics.render()).body);
    expect(sumOf(fams, "modelwire_requests_total", { protocol: "http", method: "generate" })).toBe(1);
    expect(sumOf(fams, "modelwire_requests_total", { protocol: "grpc", method: "chat" })).toBe(2);
    expect(sumOf(fams, "modelwire_tokens_total", { protocol: "http" })).toBe(3);
    expect(sumOf(fams, "modelwire_tokens_total", { protocol: "grpc" })).toBe(1);
    expect(sumOf(fams, "modelwire_errors_total", { protocol: "grpc", code: "resource_exhausted" })).toBe(1);
    expect(sumOf(fams, "modelwire_errors_total", { protocol: "http" })).toBe(0);
    expect(sumOf(fams, "modelwire_streams_in_flight", { protocol: "grpc", method: "chat" })).toBe(1);
    expect(sumOf(fams, "modelwire_streams_in_flight", { protocol: "http" })).toBe(0);
    const lat = "modelwire_request_duration_seconds";
    expect(sumOf(fams, lat, { protocol: "http" }, `${lat}_count`)).toBe(1);
    expect(sumOf(fams, lat, { protocol: "grpc" }, `${lat}_count`)).toBe(1);
    const ttft = "modelwire_time_to_first_token_seconds";
    expect(sumOf(fams, ttft, { protocol: "http" }, `${ttft}_count`)).toBe(1); // one first token, not three
    expect(sumOf(fams, ttft, { protocol: "grpc" }, `${ttft}_count`)).toBe(1);
    expect(fams.get(lat)?.type).toBe("histogram");

    c.end();
    const again = parsePrometheus((await metrics.render()).body);
    expect(sumOf(again, "modelwire_streams_in_flight", { protocol: "grpc" })).toBe(0);
    // Counters do not double on a second scrape.
    expect(sumOf(again, "modelwire_requests_total", { protocol: "grpc", method: "chat" })).toBe(2);
  });

  it("samples server bytes, connections, engine, admission and process figures at scrape time", async () => {
    const { metrics, admission, serverStats } = setup();
    admission.tryAcquire();
    // prom-client counts process CPU from when the metric was registered: burn some so the counter must move.
    const until = performance.now() + 30;
    while (performance.now() < until) Math.sqrt(Math.random());
    let fams = parsePrometheus((await metrics.render()).body);
    expect(sumOf(fams, "modelwire_received_bytes_total", { protocol: "http" })).toBe(1234);
    expect(sumOf(fams, "modelwire_sent_bytes_total", { protocol: "http" })).toBe(56789);
    expect(sumOf(fams, "modelwire_connections", { protocol: "http" })).toBe(2);
    expect(sumOf(fams, "modelwire_engine_tokens_total")).toBe(40);
    expect(sumOf(fams, "modelwire_admission_in_flight")).toBe(1);
    expect(sumOf(fams, "process_resident_memory_bytes")).toBeGreaterThan(1_000_000);
    expect(sumOf(fams, "process_cpu_user_seconds_total")).toBeGreaterThan(0);
    serverStats.bytesIn += 1000;
    fams = parsePrometheus((await metrics.render()).body);
    expect(sumOf(fams, "modelwire_received_bytes_total", { protocol: "http" })).toBe(2234);
  });

  it("keeps the exposition valid with label values that need escaping", async () => {
    const { metrics } = setup();
    metrics.observer.callStarted('we"ird\\proto\n', "generate").end(new ModelwireError("x", Code.Internal));
    const fams = parsePrometheus((await metrics.render()).body);
    expect(sumOf(fams, "modelwire_requests_total", { protocol: 'we"ird\\proto\n' })).toBe(1);
  });
});

describe("parsePrometheus (the test's strict parser)", () => {
  it("rejects broken expositions", () => {
    const bad = [
      "x 1", // no newline at end
      "x 1\n", // no TYPE
      "# TYPE x counter\nx -1\n",
      '# TYPE x counter\nx{a="1"} 1\nx{a="1"} 2\n',
      '# TYPE x gauge\nx{a="\\q"} 1\n',
      "# TYPE x gauge\nx one\n",
      '# TYPE x histogram\nx_bucket{le="1"} 2\nx_bucket{le="+Inf"} 1\nx_sum 1\nx_count 1\n',
      '# TYPE x histogram\nx_bucket{le="+Inf"} 2\nx_sum 1\nx_count 1\n',
      "# TYPE x gauge\n# TYPE y gauge\ny 1\n# TYPE x gauge\n",
    ];
    for (const text of bad) expect(() => parsePrometheus(text), text).toThrow();
    expect(parsePrometheus('# HELP x h\n# TYPE x gauge\nx{a="q\\""} 1.5e3\n').get("x")?.samples[0]).toEqual({
      name: "x",
      labels: { a: 'q"' },
      value: 1500,
    });
  });
});
