import { Counter, Gauge, type Registry } from "prom-client";

/** A gauge on `registry` set from `read()` at each scrape. */
export function sampledGauge(registry: Registry, name: string, help: string, read: () => number): Gauge {
  return new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}

/** A counter on `registry` whose value is `read()` (a running total kept elsewhere) at each scrape. */
export function sampledCounter(registry: Registry, name: string, help: string, read: () => number): Counter {
  return new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}
