import { rm } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { parseAgentFlags } from "./agents/agent-args.js";
import { AgentMergeError } from "./agents/agent-merge.js";
import { BENCH_HELP } from "./cli-help.js";
import type { LadderConfig } from "./ladder/ladder.js";
import { runLadderCli } from "./ladder/ladder-cli.js";
import { mergeReportFiles, readResultFile } from "./merge.js";
import { PRESET_NAMES, type PresetName, presetScenario } from "./presets.js";
import { createProgress } from "./progress.js";
import { recommend } from "./recommend.js";
import { readSerializationReport } from "./report/serialization.js";
import { writeReports } from "./report/write.js";
import type { BenchResult, Scenario } from "./result.js";
import { type BenchConfig, runBench } from "./runner.js";
import { applyScheduleFlags, writeTraceRequest } from "./schedule-args.js";
import { ExitCode, parseSlos, SloParseError } from "./slo.js";
import { parseTargetArgs } from "./targets/target-args.js";
import { TargetError } from "./targets/target-error.js";
import { directTransports } from "./targets/upstreams.js";
import { syntheticTrace, writeTraceFile } from "./trace/trace-writer.js";
import { selectTransports } from "./transports.js";
import { UsageError } from "./usage-error.js";
import { parseWorkerFlags } from "./worker-spawn.js";
import { parseShapeFlags } from "./workload-shape.js";

export { BENCH_HELP } from "./cli-help.js";

/** Parses a duration: `500ms`, `2s`, `1m`, or bare seconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new UsageError(`${flag}: bad duration "${text}" (e.g. 500ms, 5s, 1m)`);
  const v = Number(m[1]);
  const ms = m[2] === "ms" ? v : m[2] === "m" ? v * 60_000 : v * 1000;
  if (ms <= 0 || ms > 3_600_000) throw new UsageError(`${flag}: duration must be in (0, 1h]`);
  return ms;
}

export { UsageError } from "./usage-error.js";

function intFlag(v: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new UsageError(`${flag} must be a number in [${min}, ${max}], got "${v}"`);
  return n;
}

const OPTIONS = {
  preset: { type: "string" },
  transports: { type: "string" },
  concurrency: { type: "string" },
  rate: { type: "string" },
  arrival: { type: "string" },
  "max-in-flight": { type: "string" },
  duration: { type: "string" },
  warmup: { type: "string" },
  requests: { type: "string" },
  repeats: { type: "string" },
  scenario: { type: "string" },
  "prompt-bytes": { type: "string" },
  tokens: { type: "string" },
  "image-bytes": { type: "string" },
  "prompt-dist": { type: "string" },
  "output-dist": { type: "string" },
  "chat-turns": { type: "string" },
  "think-ms": { type: "string" },
  trace: { type: "string" },
  "trace-speed": { type: "string" },
  ramp: { type: "string" },
  "write-trace": { type: "string" },
  "record-trace": { type: "string" },
  "ttft-ms": { type: "string" },
  "inter-token-ms": { type: "string" },
  jitter: { type: "string" },
  seed: { type: "string" },
  slo: { type: "string" },
  sweep: { type: "boolean" },
  "sweep-slo": { type: "string" },
  "sweep-start": { type: "string" },
  "sweep-factor": { type: "string" },
  "sweep-steps": { type: "string" },
  "sweep-step": { type: "string" },
  gateway: { type: "string" },
  "server-cpus": { type: "string" },
  connections: { type: "string" },
  workers: { type: "string" },
  out: { type: "string" },
  serialization: { type: "string" },
  jsonl: { type: "string" },
  quiet: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  "report-from": { type: "boolean" },
  ladder: { type: "boolean" },
  "repeat-share": { type: "string" },
  "cold-pairs": { type: "string" },
  "gateway-arg": { type: "string", multiple: true },
  agents: { type: "string" },
  "agent-index": { type: "string" },
  "start-at": { type: "string" },
  "agent-gap": { type: "string" },
  "run-id": { type: "string" },
  "worker-mode": { type: "string" },
  "client-cpus": { type: "string" },
  target: { type: "string", multiple: true },
  upstream: { type: "string", multiple: true },
  model: { type: "string" },
  "auth-token": { type: "string" },
  ca: { type: "string" },
  admin: { type: "string", multiple: true },
  "admin-token": { type: "string" },
} as const;

/** What the CLI parsed: a run configuration (minus progress) and output options. */
export interface ParsedBenchArgs {
  /** The raw arguments, recorded in the result. */
  argv?: string[];
  /** `--ladder`: the ladder's configuration instead of the comparison's. */
  ladder?: Omit<LadderConfig, "progress">;
  config: Omit<BenchConfig, "progress">;
  outDir: string;
  serializationPath: string;
  quiet: boolean;
  /** `--write-trace`: write this synthetic trace and exit. */
  writeTrace?: ReturnType<typeof writeTraceRequest>;
}

async function loadScenarioFile(path: string): Promise<Array<Partial<Scenario>>> {
  const { readFile } = await import("node:fs/promises");
  const text = await readFile(path, "utf8");
  if (text.length > 1024 * 1024) throw new UsageError(`${path}: scenario file larger than 1 MiB`);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${path}: not JSON (${(e as Error).message})`);
  }
  const list = Array.isArray(v) ? v : [v];
  if (!list.every((x) => x && typeof x === "object"))
    throw new UsageError(`${path}: expected an object or an array of objects`);
  return list as Array<Partial<Scenario>>;
}

/** Parses bench flags into a configuration. Throws {@link UsageError} / SloParseError on bad input. */
export async function parseBenchArgs(
  argv: string[],
): Promise<ParsedBenchArgs & { help: boolean; reportFrom?: string[] }> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const v = parsed.values;
  const outDir = resolve(v.out ?? "reports");
  const base = {
    outDir,
    serializationPath: resolve(v.serialization ?? resolve(outDir, "serialization.json")),
    quiet: v.quiet === true,
  };
  if (v["report-from"]) {
    if (parsed.positionals.length === 0) throw new UsageError("--report-from needs at least one result file");
    return {
      ...base,
      help: false,
      reportFrom: parsed.positionals,
      config: { scenarios: [], transports: [], repeats: 0, slos: [] },
    };
  }
  if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument "${parsed.positionals[0]}"`);
  const timing = {
    durationMs: v.duration ? parseDuration(v.duration, "--duration") : 5000,
    warmupMs: v.warmup ? (/^0+(ms|s|m)?$/.test(v.warmup.trim()) ? 0 : parseDuration(v.warmup, "--warmup")) : 1000,
    maxRequests: intFlag(v.requests, "--requests", 1, 1e9) ?? 1_000_000,
  };
  const foreignRun = (v.target?.length ?? 0) > 0 || (v.upstream?.length ?? 0) > 0;
  const presetNames = (v.preset ?? (foreignRun ? "target" : "protocol-overhead,low"))
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  let scenarios: Scenario[] = presetNames.map((n) => {
    if (!(PRESET_NAMES as readonly string[]).includes(n))
      throw new UsageError(`unknown preset "${n}" (known: ${PRESET_NAMES.join(", ")})`);
    return presetScenario(n as PresetName, timing);
  });
  if (v.scenario) {
    const extra = await loadScenarioFile(v.scenario);
    const basis = scenarios[0] ?? presetScenario("protocol-overhead", timing);
    scenarios = extra.map((x, i) => ({
      ...basis,
      ...x,
      name: typeof x.name === "string" ? x.name : `scenario-${i + 1}`,
      description: typeof x.description === "string" ? x.description : `from ${v.scenario}`,
      workload: {
        ...basis.workload,
        ...(x.workload ?? {}),
        engine: { ...basis.workload.engine, ...(x.workload?.engine ?? {}) },
      },
      load: (x.load ?? basis.load) as Scenario["load"],
    }));
  }
  const concurrency = intFlag(v.concurrency, "--concurrency", 1, 100_000);
  const rate = intFlag(v.rate, "--rate", 0.001, 1e7);
  const arrival = v.arrival ?? "constant";
  if (arrival !== "constant" && arrival !== "poisson") throw new UsageError(`--arrival must be constant or poisson`);
  const maxInFlight = intFlag(v["max-in-flight"], "--max-in-flight", 1, 1e6);
  const eng = {
    ttftMs: intFlag(v["ttft-ms"], "--ttft-ms", 0, 600_000),
    interTokenMs: intFlag(v["inter-token-ms"], "--inter-token-ms", 0, 60_000),
    jitter: intFlag(v.jitter, "--jitter", 0, 0.999),
    seed: intFlag(v.seed, "--seed", 0, 2 ** 31),
  };
  const promptBytes = intFlag(v["prompt-bytes"], "--prompt-bytes", 1, 16 * 1024 * 1024);
  const tokens = intFlag(v.tokens, "--tokens", 1, 1_000_000);
  const imageBytes = intFlag(v["image-bytes"], "--image-bytes", 0, 32 * 1024 * 1024);
  const shape = parseShapeFlags(v);
  for (const s of scenarios) {
    if (rate !== undefined)
      s.load = { mode: "open", ratePerSec: rate, arrival, ...(maxInFlight ? { maxInFlight } : {}) };
    else if (concurrency !== undefined) s.load = { mode: "closed", concurrency };
    s.workload = {
      ...s.workload,
      ...(promptBytes !== undefined ? { promptBytes } : {}),
      ...(tokens !== undefined ? { outputTokens: tokens } : {}),
      ...(imageBytes !== undefined ? { imageBytes } : {}),
      ...shape,
      engine: Object.fromEntries(
        Object.entries({ ...s.workload.engine, ...eng }).map(([k, x]) => [
          k,
          x ?? s.workload.engine[k as keyof typeof s.workload.engine],
        ]),
      ) as Scenario["workload"]["engine"],
    };
    if (tokens !== undefined) s.description = s.description.replace(/\d+(-token replies| tokens)/, `${tokens}$1`);
    if (s.load.mode === "closed")
      s.description = s.description.replace(/\d+ concurrent streams/, `${s.load.concurrency} concurrent streams`);
    else
      s.description = `${s.description.replace(/, \d+ concurrent streams|\d+ concurrent streams/, "")}; open loop at ${s.load.ratePerSec} req/s (${s.load.arrival})`;
  }
  await applyScheduleFlags(v, scenarios, parseDuration);
  const writeTrace = writeTraceRequest(v, scenarios[0]);
  if (writeTrace)
    return { ...base, help: v.help === true, writeTrace, config: { scenarios, transports: [], repeats: 0, slos: [] } };
  const knobs = (["ttft-ms", "inter-token-ms", "jitter"] as const)
    .filter((k) => v[k] !== undefined)
    .map((k) => `--${k}`);
  const ta = await parseTargetArgs({ ...v, knobs });
  let transports;
  try {
    transports = ta.transports ?? selectTransports(v.transports ?? "all");
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  // With --upstream, the direct path is the baseline every wire is compared with.
  if (ta.upstream !== undefined)
    transports.unshift(
      ...directTransports(ta.upstreams ?? [ta.upstream]).filter((d) => !transports.some((t) => t.name === d.name)),
    );
  const slos = parseSlos(v.slo ?? "");
  const config: ParsedBenchArgs["config"] = {
    scenarios,
    transports,
    repeats: intFlag(v.repeats, "--repeats", 1, 100) ?? 3,
    slos,
    connections: intFlag(v.connections, "--connections", 1, 1024),
    workers: intFlag(v.workers, "--workers", 1, 64) ?? 1,
    ...(ta.targets.length > 0 ? { targets: ta.targets } : {}),
    ...(ta.upstream !== undefined ? { upstream: ta.upstream } : {}),
    ...((ta.upstreams?.length ?? 0) > 1 ? { upstreams: ta.upstreams } : {}),
    ...(Object.keys(ta.foreign).length > 0 ? { foreign: ta.foreign } : {}),
  };
  const fail = (m: string): never => {
    throw new UsageError(m);
  };
  const agentGap = v["agent-gap"] ? parseDuration(v["agent-gap"], "--agent-gap") : undefined;
  Object.assign(config, parseAgentFlags(v, agentGap, fail));
  if (config.agent) {
    if (v.sweep || v.ladder)
      fail(
        `--agents runs the comparison only (a ${v.sweep ? "--sweep" : "--ladder"} adapts to what one generator sees)`,
      );
    for (const s of scenarios)
      if (s.load.mode === "closed" && s.load.concurrency < config.agent.count)
        fail(
          `scenario ${s.name}: ${s.load.concurrency} streams cannot be shared by --agents ${config.agent.count} (each needs one)`,
        );
  }
  Object.assign(config, parseWorkerFlags(v, config.workers ?? 1, fail));
  if (v["server-cpus"]) {
    if (!/^[0-9,-]+$/.test(v["server-cpus"])) throw new UsageError("--server-cpus takes a CPU list like 1 or 0-1");
    config.serverCpus = v["server-cpus"];
  }
  if (v.jsonl) config.jsonlPath = resolve(v.jsonl);
  if (v["record-trace"]) config.recordTracePath = resolve(v["record-trace"]);
  config.gatewayMain = v.gateway ? resolve(v.gateway) : await defaultGatewayMain();
  if (v["gateway-arg"]) config.gatewayArgs = [...v["gateway-arg"]];
  if (v.ladder) {
    if (!config.gatewayMain)
      throw new UsageError("--ladder needs the gateway (build @modelwire/server or pass --gateway)");
    const eng0 = scenarios[0]?.workload.engine;
    return {
      ...base,
      argv: [...argv],
      help: v.help === true,
      config,
      ladder: {
        transports,
        gatewayMain: config.gatewayMain,
        gatewayArgs: config.gatewayArgs,
        workload: {
          model: "synthetic:latest",
          promptBytes: promptBytes ?? 64,
          outputTokens: tokens ?? 16,
          repeatShare: intFlag(v["repeat-share"], "--repeat-share", 0, 1) ?? 0.5,
          hotPrompts: 8,
          seed: eng.seed ?? eng0?.seed ?? 42,
        },
        ttftMs: eng.ttftMs ?? 0,
        interTokenMs: eng.interTokenMs ?? 0,
        concurrency: concurrency ?? 16,
        stepMs: v.duration ? timing.durationMs : 2000,
        warmupMs: v.warmup ? timing.warmupMs : 500,
        maxRequests: timing.maxRequests,
        coldPairs: intFlag(v["cold-pairs"], "--cold-pairs", 1, 1000) ?? 5,
      },
    };
  }
  if (v.sweep) {
    config.sweep = {
      scenario: scenarios.find((s) => s.name === "protocol-overhead") ?? scenarios[0],
      startRps: intFlag(v["sweep-start"], "--sweep-start", 1, 1e7) ?? 250,
      factor: intFlag(v["sweep-factor"], "--sweep-factor", 1.05, 100) ?? 2,
      maxSteps: intFlag(v["sweep-steps"], "--sweep-steps", 1, 50) ?? 6,
      stepMs: v["sweep-step"] ? parseDuration(v["sweep-step"], "--sweep-step") : 1000,
      slos: parseSlos(v["sweep-slo"] ?? "ttft_p99<50ms,error_rate<1%"),
    };
  }
  return { ...base, argv: [...argv], help: v.help === true, config };
}

async function defaultGatewayMain(): Promise<string | undefined> {
  try {
    const m = (await import("@modelwire/server")) as { GATEWAY_MAIN?: string };
    return m.GATEWAY_MAIN;
  } catch {
    return undefined;
  }
}

/** Runs the bench (or re-renders reports) and writes reports; returns the results and paths. */
export async function executeBench(
  parsed: ParsedBenchArgs & { reportFrom?: string[] },
): Promise<{ result: BenchResult; paths: { json: string; markdown: string; html: string } }> {
  const progress = createProgress({ quiet: parsed.quiet });
  let result: BenchResult;
  if (parsed.reportFrom) {
    const files = await Promise.all(
      parsed.reportFrom.map(async (f) => ({ path: f, result: await readResultFile(resolve(f)) })),
    );
    result = mergeReportFiles(files);
  } else {
    result = await runBench({ ...parsed.config, progress });
    if (parsed.argv) result.command = parsed.argv;
    result.recommendation = recommend(result);
  }
  const ser = await readSerializationReport(parsed.serializationPath);
  const paths = await writeReports(result, parsed.outDir, ser);
  return { result, paths };
}

/**
 * `modelwire bench` as a function: parses `argv`, runs, writes reports, prints the Markdown summary path and the
 * recommendation, and resolves to the exit code (0 ok, 1 SLO breached, 2 usage, 3 verification failed, 4 run failed).
 */
export async function runBenchCli(argv: string[]): Promise<number> {
  let parsed: Awaited<ReturnType<typeof parseBenchArgs>>;
  try {
    parsed = await parseBenchArgs(argv);
  } catch (e) {
    if (e instanceof UsageError || e instanceof SloParseError) {
      process.stderr.write(`modelwire bench: ${e.message}\n(see modelwire bench --help)\n`);
      return ExitCode.Usage;
    }
    throw e;
  }
  if (parsed.help) {
    process.stdout.write(BENCH_HELP);
    return ExitCode.Ok;
  }
  if (parsed.ladder) return runLadderCli(parsed.ladder, parsed);
  if (parsed.writeTrace) {
    const entries = syntheticTrace(parsed.writeTrace.spec);
    await writeTraceFile(parsed.writeTrace.path, entries);
    if (!parsed.quiet) process.stdout.write(`${entries.length} requests written to ${parsed.writeTrace.path}\n`);
    return ExitCode.Ok;
  }
  try {
    const { result, paths } = await executeBench(parsed);
    if (!parsed.quiet) {
      process.stdout.write(
        `\n${result.recommendation.join("\n")}\n\nreports: ${paths.markdown}, ${paths.html}, ${paths.json}\n`,
      );
      for (const b of result.sloBreaches)
        process.stdout.write(`SLO breached: ${b.scenario} / ${b.transport}: ${b.slo} (measured ${b.actual})\n`);
    }
    return result.exitCode;
  } catch (e) {
    if (e instanceof AgentMergeError) {
      process.stderr.write(`modelwire bench: ${e.message}\n`);
      return ExitCode.Usage;
    }
    if (parsed.config.jsonlPath) await rm(parsed.config.jsonlPath, { force: true }).catch(() => {});
    if (e instanceof TargetError) {
      process.stderr.write(`modelwire bench: ${e.message}\n`);
      return e.exitCode;
    }
    process.stderr.write(`modelwire bench failed: ${(e as Error).message}\n`);
    return ExitCode.RunFailed;
  }
}
