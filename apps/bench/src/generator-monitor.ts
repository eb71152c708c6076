import { monitorEventLoopDelay } from "node:perf_hooks";

/** The load generator's own figures over a window. */
export interface GeneratorFigures {
  /** Generator CPU (user + system) over the window, µs. */
  cpuMicros: number;
  /** CPU used / wall time: 1 = one core fully busy. */
  cpuUtilization: number;
  /** Event-loop delay p99 / max, ms (perf_hooks monitorEventLoopDelay). */
  eventLoopLagP99Ms: number;
  eventLoopLagMaxMs: number;
  /** Wall time of the window, ms. */
  wallMs: number;
}

/** Measures the generator between `start()` and `stop()`. */
export interface GeneratorMonitor {
  start(): void;
  stop(): GeneratorFigures;
}

/** Creates a monitor (one window at a time). */
export function createGeneratorMonitor(): GeneratorMonitor {
  const eld = monitorEventLoopDelay({ resolution: 10 });
  let cpu0 = process.cpuUsage();
  let t0 = performance.now();
  return {
    start() {
      eld.reset();
      eld.enable();
      cpu0 = process.cpuUsage();
      t0 = performance.now();
    },
    stop() {
      const d = process.cpuUsage(cpu0);
      const wallMs = performance.now() - t0;
      eld.disable();
      const cpuMicros = d.user + d.system;
      return {
        cpuMicros,
        cpuUtilization: wallMs > 0 ? cpuMicros / 1000 / wallMs : 0,
        eventLoopLagP99Ms: eld.count > 0 ? eld.percentile(99) / 1e6 : 0,
        eventLoopLagMaxMs: eld.count > 0 ? eld.max / 1e6 : 0,
        wallMs,
      };
    },
  };
}

/** Thresholds past which the generator, not the transport, limits the figures. */
export const GENERATOR_LIMITS = { cpuUtilization: 0.9, eventLoopLagP99Ms: 50, pacingShortfall: 0.9 } as const;

/**
 * A plain-words warning when the generator was the bottleneck, or undefined. `offered`/`achieved` apply to open
 * loops; `sendLagP99Ms` is the schedule lag.
 */
export function generatorWarning(
  g: GeneratorFigures,
  open?: { offeredRps: number; achievedRps: number; sendLagP99Ms: number },
): string | undefined {
  const reasons: string[] = [];
  if (g.cpuUtilization >= GENERATOR_LIMITS.cpuUtilization) {
    reasons.push(`it used ${(g.cpuUtilization * 100).toFixed(0)}% of a core`);
  }
  if (g.eventLoopLagP99Ms >= GENERATOR_LIMITS.eventLoopLagP99Ms) {
    reasons.push(`its event loop lagged ${g.eventLoopLagP99Ms.toFixed(1)} ms at p99`);
  }
  if (open && open.achievedRps < open.offeredRps * GENERATOR_LIMITS.pacingShortfall && open.sendLagP99Ms > 10) {
    reasons.push(
      `it sent late (schedule lag p99 ${open.sendLagP99Ms.toFixed(1)} ms, achieved ${open.achievedRps.toFixed(0)} of ${open.offeredRps.toFixed(0)} req/s offered)`,
    );
  }
  if (reasons.length === 0) return undefined;
  return `The load generator (or the machine it shares) was the bottleneck: ${reasons.join("; ")}. These figures understate what the transport can do; use fewer streams, more generator workers (--workers), pin the servers to other cores (--server-cpus) or a quieter machine.`;
}
