import { resolve } from "node:path";
import type { Scenario } from "./result.js";
import { readTraceFile, type TraceSource } from "./trace/trace-file.js";
import type { SyntheticTraceSpec } from "./trace/trace-writer.js";
import { UsageError } from "./usage-error.js";

/** The arrival-schedule lines of `modelwire bench --help`. */
export const SCHEDULE_HELP = `  --trace FILE           replay a JSONL trace: one request a line, {"offset_ms", "prompt" | "prompt_tokens",
                         "max_tokens"?, "model"?}, each sent at its offset (open loop, latency from that time);
                         the window lasts the trace unless --duration cuts it (docs/bench.md, "Trace replay")
  --trace-speed F        replay F times as fast (0.01 to 1000; default 1)
  --ramp T               raise the load linearly from zero over the first T of each measured window: the rate
                         (--rate) or the number of streams (--concurrency); T <= --duration
  --write-trace FILE     write a synthetic trace (arrivals of --rate/--arrival/--ramp over --duration, lengths of
                         --prompt-dist/--output-dist or --prompt-bytes/--tokens, seeded) and exit; nothing is run
  --record-trace FILE    write the requests the first measured window sent, at the times they went out, as a
                         trace --trace can replay (in-process generator only)`;

/** The flags this module reads. */
export interface ScheduleFlags {
  trace?: string;
  "trace-speed"?: string;
  ramp?: string;
  "write-trace"?: string;
  "record-trace"?: string;
}

/** What else was given, for the combinations a trace or a ramp refuses. */
export interface ScheduleContext {
  preset?: string;
  scenario?: string;
  rate?: string;
  concurrency?: string;
  arrival?: string;
  "prompt-dist"?: string;
  "output-dist"?: string;
  "prompt-bytes"?: string;
  "chat-turns"?: string;
  "max-in-flight"?: string;
  duration?: string;
  sweep?: boolean;
  ladder?: boolean;
  workers?: string;
}

/** The longest a window may last (the `--duration` bound). */
const MAX_WINDOW_MS = 3_600_000;

/**
 * Applies `--trace`, `--trace-speed` and `--ramp` to the scenarios (after the load flags): a trace makes every
 * scenario an open loop over its lines, lasting the trace at that speed unless `--duration` was given; a ramp is
 * set on every scenario's load. Refuses the combinations that would make either mean two things.
 */
export async function applyScheduleFlags(
  v: ScheduleFlags & ScheduleContext,
  scenarios: Scenario[],
  parseDuration: (text: string, flag: string) => number,
): Promise<{ trace?: TraceSource }> {
  if (v["trace-speed"] !== undefined && v.trace === undefined)
    throw new UsageError("--trace-speed is the speed of a --trace replay: add --trace FILE");
  if (v["record-trace"] !== undefined) {
    if (v["chat-turns"] !== undefined)
      throw new UsageError("--record-trace records generate requests; a chat session is not one (drop --chat-turns)");
    if (v.workers !== undefined && Number(v.workers) > 1)
      throw new UsageError("--record-trace needs the in-process generator (drop --workers)");
  }
  const rampMs = v.ramp !== undefined ? parseDuration(v.ramp, "--ramp") : undefined;
  if (v.trace !== undefined) {
    for (const flag of [
      "rate",
      "concurrency",
      "arrival",
      "prompt-dist",
      "output-dist",
      "prompt-bytes",
      "chat-turns",
    ] as const)
      if (v[flag] !== undefined)
        throw new UsageError(`--trace sets the arrivals and the lengths: drop --${flag} (the trace's lines decide it)`);
    if (rampMs !== undefined)
      throw new UsageError("--ramp shapes a rate or a concurrency; a --trace has its own times");
    if (v.sweep || v.ladder)
      throw new UsageError(`--trace replays a trace; ${v.sweep ? "--sweep" : "--ladder"} sets its own load`);
    const speed = v["trace-speed"] === undefined ? 1 : Number(v["trace-speed"]);
    if (!Number.isFinite(speed) || speed < 0.01 || speed > 1000)
      throw new UsageError(`--trace-speed must be a number in [0.01, 1000], got "${v["trace-speed"]}"`);
    const trace = await readTraceFile(v.trace);
    const lastingMs = trace.spanMs / speed + 1;
    if (v.duration === undefined && lastingMs > MAX_WINDOW_MS)
      throw new UsageError(
        `--trace ${v.trace} lasts ${(lastingMs / 60_000).toFixed(1)} min at speed ${speed}: over the 1 h window limit (raise --trace-speed or cut it with --duration)`,
      );
    const maxInFlight = v["max-in-flight"] !== undefined ? Number(v["max-in-flight"]) : undefined;
    // Without --preset or --scenario, the trace is one scenario of its own (the default presets would replay it twice).
    if (v.preset === undefined && v.scenario === undefined && scenarios.length > 1) scenarios.splice(1);
    for (const s of scenarios) {
      if (v.preset === undefined && v.scenario === undefined) s.name = "trace";
      s.workload = { ...s.workload, trace };
      s.load = {
        mode: "open",
        arrival: "trace",
        ratePerSec: (trace.requests * 1000) / Math.max(lastingMs, 1),
        traceSpeed: speed,
        ...(maxInFlight ? { maxInFlight } : {}),
      };
      if (v.duration === undefined) s.durationMs = lastingMs;
      s.description = `trace ${v.trace} (${trace.requests} requests over ${(trace.spanMs / 1000).toFixed(1)} s) replayed at ${speed}x`;
    }
    return { trace };
  }
  if (rampMs !== undefined)
    for (const s of scenarios) {
      if (rampMs > s.durationMs)
        throw new UsageError(`--ramp ${v.ramp} is longer than scenario ${s.name}'s ${s.durationMs / 1000} s window`);
      s.load = { ...s.load, rampMs };
      s.description += `, ramped up over ${rampMs / 1000} s`;
    }
  return {};
}

/** The scenario as a result records it: a trace's source without its lines (the digest names them). */
export function recordableScenario(s: Scenario): Scenario {
  if (!s.workload.trace?.entries) return s;
  const { entries: _dropped, ...trace } = s.workload.trace;
  return { ...s, workload: { ...s.workload, trace } };
}

/**
 * `--write-trace FILE`: the synthetic trace spec from the first scenario after the load flags (it needs an open
 * loop: `--rate`), or undefined without the flag.
 */
export function writeTraceRequest(
  v: ScheduleFlags & ScheduleContext,
  scenario: Scenario | undefined,
): { path: string; spec: SyntheticTraceSpec } | undefined {
  if (v["write-trace"] === undefined) return undefined;
  if (v.trace !== undefined) throw new UsageError("--write-trace makes a trace; --trace replays one: give one of them");
  if (scenario?.load.mode !== "open" || scenario.load.arrival === "trace")
    throw new UsageError("--write-trace needs an open-loop rate: add --rate R (and --arrival, --ramp, --duration)");
  return {
    path: resolve(v["write-trace"]),
    spec: {
      ratePerSec: scenario.load.ratePerSec,
      arrival: scenario.load.arrival,
      ...(scenario.load.rampMs ? { rampMs: scenario.load.rampMs } : {}),
      durationMs: scenario.durationMs,
      maxRequests: scenario.maxRequests,
      workload: scenario.workload,
    },
  };
}
