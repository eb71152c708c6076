/**
 * `modelwire bench --ladder`: the source article's optimisation path (section 2.3: plain synchronous calls → a
 * connection pool → asynchronous, concurrent I/O → a result cache → models warmed up and kept resident), measured
 * rung by rung on every gateway wire against one gateway process, one engine and one workload. See docs/bench.md,
 * "The ladder".
 *
 * @module
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { InferenceClient, ListenAddress } from "@modelwire/core";
import { createLatencyHistogram, type LatencyHistogram } from "../histogram.js";
import type { Progress } from "../progress.js";
import { machineInfo } from "../runner.js";
import { freePortArgs, spawnServerProcess } from "../server-process.js";
import { endpointFor, type TransportPlugin } from "../transports.js";
import { ladderRecommendation } from "./ladder-recommend.js";
import { runStep, type StepMeasure, type StepMode } from "./ladder-step.js";
import { createLadderWork, type LadderWorkload } from "./ladder-work.js";

/** What a ladder run needs. */
export interface LadderConfig {
  /** Gateway transports to climb the ladder on (references have no cache or residency: left out). */
  transports: TransportPlugin[];
  gatewayMain: string;
  /** Extra gateway flags (e.g. the synthetic engine's load time once it has one). */
  gatewayArgs?: string[];
  workload: LadderWorkload;
  /** Synthetic engine delays, passed as gateway flags. */
  ttftMs: number;
  interTokenMs: number;
  /** N of steps 3 and 4. */
  concurrency: number;
  /** Measured time per step and wire. */
  stepMs: number;
  /** Warm-up before each step, excluded. */
  warmupMs: number;
  /** Request cap per step. */
  maxRequests: number;
  /**
   * Calls each measured step of 1-4 makes at least, however long that takes (default 0: the step time alone).
   * Step 4 needs a hot prompt's reply stored before it repeats to show a cache hit.
   */
  minRequests?: number;
  /** Cold/preloaded pairs of step 5. */
  coldPairs: number;
  progress: Progress;
}

/** One rung's figures on one wire. */
export interface LadderStep {
  step: 1 | 2 | 3 | 4 | 5;
  name: string;
  requests: number;
  errors: number;
  verifyFailures: number;
  throughputRps: number;
  ttftP50Ms: number;
  ttftP99Ms: number;
  e2eP50Ms: number;
  e2eP99Ms: number;
  /** Throughput over the step before (step 5: preloaded over cold). */
  throughputGain?: number;
  /** E2E p50 of the step before over this one's (> 1: faster; step 5: cold over preloaded). */
  e2eP50Gain?: number;
  /** Step 4: calls the gateway's cache answered. */
  cacheHits?: number;
  /** Step 5: the cold calls' mean `load_duration` as the engine reported it, ms. */
  coldLoadMs?: number;
  firstError?: string;
  /** Why the step was not measured on this wire (e.g. the OpenAI API cannot carry keep_alive to unload). */
  skipped?: string;
}

/** The ladder on one wire. */
export interface LadderWire {
  transport: string;
  steps: LadderStep[];
}

/** A ladder run. */
export interface LadderResult {
  schema: "modelwire.ladder/v1";
  startedAt: string;
  durationMs: number;
  machine: ReturnType<typeof machineInfo>;
  command?: string[];
  config: Omit<LadderConfig, "transports" | "progress" | "gatewayMain"> & { transports: string[] };
  wires: LadderWire[];
  recommendation: string[];
  /** Non-zero when a step failed calls or verification (exit 3 for verification, 4 for failed calls). */
  exitCode: number;
}

export const STEP_NAMES: Record<LadderStep["step"], string> = {
  1: "one at a time, new connection per call",
  2: "one at a time, kept-alive pooled connection",
  3: "N concurrent",
  4: "N concurrent, response cache on",
  5: "preloaded model vs cold (load paid)",
};

function figures(step: LadderStep["step"], m: StepMeasure): LadderStep {
  const out: LadderStep = {
    step,
    name: STEP_NAMES[step],
    requests: m.requests,
    errors: m.errors,
    verifyFailures: m.verifyFailures,
    throughputRps: m.elapsedMs > 0 ? ((m.requests - m.errors) / m.elapsedMs) * 1000 : 0,
    ttftP50Ms: m.ttft.percentileMs(50),
    ttftP99Ms: m.ttft.percentileMs(99),
    e2eP50Ms: m.e2e.percentileMs(50),
    e2eP99Ms: m.e2e.percentileMs(99),
  };
  if (m.firstError !== undefined) out.firstError = m.firstError;
  return out;
}

function withGain(s: LadderStep, before: LadderStep): LadderStep {
  return {
    ...s,
    throughputGain: before.throughputRps > 0 ? s.throughputRps / before.throughputRps : undefined,
    e2eP50Gain: s.e2eP50Ms > 0 ? before.e2eP50Ms / s.e2eP50Ms : undefined,
  };
}

async function cacheHits(admin: string): Promise<number> {
  const r = await fetch(`${admin}/control/stats`);
  const s = (await r.json()) as { cache?: { hits: number } };
  return s.cache?.hits ?? 0;
}

/** Step 5: unload, one cold call, one call on the now-loaded model; `pairs` times, one call at a time. */
async function coldVsPreloaded(
  client: InferenceClient,
  work: (seq: number) => ReturnType<ReturnType<typeof createLadderWork>>,
  firstSeq: number,
  pairs: number,
  plugin: TransportPlugin,
  addresses: readonly ListenAddress[],
): Promise<{ cold: StepMeasure; warm: StepMeasure; loadMs: number }> {
  const target = { plugin, addresses, pooled: client };
  const off: StepMode = { concurrency: 1, freshConnection: false, cache: "off" };
  const parts: { cold: StepMeasure[]; warm: StepMeasure[] } = { cold: [], warm: [] };
  let loadNs = 0n;
  for (let i = 0; i < pairs; i++) {
    const model = work(firstSeq + 2 * i).request.model ?? "";
    for await (const _ of client.generate({ model, prompt: "", keepAlive: { seconds: 0n } })) {
      // the unload call: drain it
    }
    parts.cold.push(
      await runStep(target, off, work, { durationMs: 60_000, maxRequests: 1, firstSeq: firstSeq + 2 * i }),
    );
    // The same request again would be answered from nothing but the engine (cache off); use the next prompt.
    parts.warm.push(
      await runStep(target, off, work, { durationMs: 60_000, maxRequests: 1, firstSeq: firstSeq + 2 * i + 1 }),
    );
  }
  // What the engine says a load costs: unload, then read a cold reply's load_duration (timed calls above do not
  // look into the chunks).
  for (let i = 0; i < pairs; i++) {
    const item = work(firstSeq + 2 * pairs + i);
    for await (const _ of client.generate({ model: item.request.model, prompt: "", keepAlive: { seconds: 0n } })) {
      // drain
    }
    for await (const c of client.generate(item.request, { metadata: { "x-modelwire-cache": "off" } }))
      if (c.done) loadNs += c.metrics?.loadDuration ?? 0n;
  }
  return { cold: merge(parts.cold), warm: merge(parts.warm), loadMs: Number(loadNs) / 1e6 / Math.max(1, pairs) };
}

function emptyMeasure(): StepMeasure {
  return {
    requests: 0,
    errors: 0,
    verifyFailures: 0,
    elapsedMs: 0,
    ttft: createLatencyHistogram(),
    e2e: createLatencyHistogram(),
  };
}

function merge(ms: StepMeasure[]): StepMeasure {
  const [first, ...rest] = ms;
  const out: StepMeasure = { ...first, ttft: first.ttft, e2e: first.e2e };
  for (const m of rest) {
    out.requests += m.requests;
    out.errors += m.errors;
    out.verifyFailures += m.verifyFailures;
    out.elapsedMs += m.elapsedMs;
    (out.ttft as LatencyHistogram).add(m.ttft);
    out.e2e.add(m.e2e);
    out.firstError ??= m.firstError;
  }
  return out;
}

/** Climbs the ladder on every configured gateway wire; resolves with the figures and the recommendation. */
export async function runLadder(cfg: LadderConfig): Promise<LadderResult> {
  const startedAt = new Date();
  const t0 = performance.now();
  const p = cfg.progress;
  const transports = cfg.transports.filter((t) => t.server === "gateway");
  if (transports.length === 0) throw new Error("--ladder needs at least one gateway transport");
  const socketDir = await mkdtemp(join(tmpdir(), "modelwire-ladder-"));
  const gateway = await spawnServerProcess({
    name: "gateway",
    script: cfg.gatewayMain,
    args: [
      ...(await freePortArgs()),
      ...["--mcp-socket", join(socketDir, "mcp.sock"), "--max-streams", "8192"],
      ...["--seed", String(cfg.workload.seed), "--ttft-ms", String(cfg.ttftMs)],
      ...["--inter-token-ms", String(cfg.interTokenMs), "--cache-mb", "64", "--quiet"],
      ...(cfg.gatewayArgs ?? []),
    ],
  });
  const admin = gateway.addresses.find((a) => a.protocol === "admin")?.url ?? "";
  const wires: LadderWire[] = [];
  // Steps 1-4 run warm-up + step time each; step 5 (cold/preloaded pairs) is planned as one step's time.
  p.plan(transports.length * 4, cfg.warmupMs + cfg.stepMs);
  p.plan(transports.length, cfg.stepMs);
  try {
    for (const plugin of transports) {
      const work = createLadderWork(cfg.workload, plugin.name);
      const pooled = await plugin.create(endpointFor(plugin, gateway.addresses), { streams: cfg.concurrency });
      const target = { plugin, addresses: gateway.addresses, pooled };
      let seq = 0;
      const steps: LadderStep[] = [];
      try {
        const modes: [LadderStep["step"], StepMode][] = [
          [1, { concurrency: 1, freshConnection: true, cache: "off" }],
          [2, { concurrency: 1, freshConnection: false, cache: "off" }],
          [3, { concurrency: cfg.concurrency, freshConnection: false, cache: "off" }],
          [4, { concurrency: cfg.concurrency, freshConnection: false, cache: "on" }],
        ];
        for (const [step, mode] of modes) {
          p.begin(`ladder ${plugin.name} step ${step} (${STEP_NAMES[step]})`);
          p.status("warming up");
          if (cfg.warmupMs > 0) {
            const w = await runStep(target, mode, work, {
              durationMs: cfg.warmupMs,
              maxRequests: cfg.maxRequests,
              firstSeq: seq,
            });
            seq += w.requests;
          }
          const hitsBefore = step === 4 ? await cacheHits(admin) : 0;
          p.status("measuring");
          const m = await runStep(target, mode, work, {
            durationMs: cfg.stepMs,
            maxRequests: cfg.maxRequests,
            minRequests: cfg.minRequests,
            firstSeq: seq,
            onCall: () => p.count(),
          });
          p.end();
          seq += m.requests;
          let s = figures(step, m);
          if (step === 4) s.cacheHits = (await cacheHits(admin)) - hitsBefore;
          const before = steps[steps.length - 1];
          if (before) s = withGain(s, before);
          steps.push(s);
        }
        p.begin(`ladder ${plugin.name} step 5 (${STEP_NAMES[5]})`);
        try {
          const r5 = await coldVsPreloaded(pooled, work, seq, cfg.coldPairs, plugin, gateway.addresses);
          const cold = figures(5, r5.cold);
          const warm = withGain(figures(5, r5.warm), cold);
          steps.push({ ...warm, coldLoadMs: r5.loadMs });
        } catch (e) {
          // A wire that cannot unload a model (no keep_alive) cannot show a cold call.
          const skipped = `not measured: ${(e as Error).message}`;
          steps.push({ ...figures(5, emptyMeasure()), skipped });
        } finally {
          p.end();
        }
        p.checkpoint(
          `ladder ${plugin.name}: ${steps.map((s) => `${s.step}: ${s.throughputRps.toFixed(0)} req/s`).join(", ")}`,
        );
      } finally {
        await pooled.close();
      }
      wires.push({ transport: plugin.name, steps });
    }
  } finally {
    p.done();
    await gateway.close();
    await rm(socketDir, { recursive: true, force: true });
  }
  const all = wires.flatMap((w) => w.steps);
  const exitCode = all.some((s) => s.verifyFailures > 0) ? 3 : all.some((s) => s.errors > 0) ? 4 : 0;
  const { transports: _t, progress: _p, gatewayMain: _g, ...rest } = cfg;
  const result: LadderResult = {
    schema: "modelwire.ladder/v1",
    startedAt: startedAt.toISOString(),
    durationMs: performance.now() - t0,
    machine: machineInfo(),
    config: { ...rest, transports: transports.map((t) => t.name) },
    wires,
    recommendation: [],
    exitCode,
  };
  result.recommendation = ladderRecommendation(result);
  return result;
}
