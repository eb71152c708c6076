/**
 * @modelwire/bench: `modelwire bench`, the protocol comparison. A constant-rate (or Poisson) open-loop load
 * generator free of coordinated omission and a closed-loop N-stream runner over any InferenceClient; LLM stream
 * metrics (TTFT, inter-chunk gap, per-token decode time, E2E, longest stall) in HDR histograms; server and
 * generator cost; interleaved repeats with median and spread; a rate sweep to the SLO knee; JSON, Markdown and
 * self-contained HTML reports with a recommendation generated from the data.
 *
 * @packageDocumentation
 */
export { BENCH_HELP, executeBench, parseBenchArgs, parseDuration, runBenchCli, UsageError } from "./cli.js";
export { createEchoClient } from "./echo/echo-client.js";
export { createEchoServer, type EchoServer } from "./echo/echo-server.js";
export { createGeneratorMonitor, generatorWarning } from "./generator-monitor.js";
export {
  createLatencyHistogram,
  decodeLatencyHistogram,
  type LatencyHistogram,
  type LatencySummary,
  mergeLatencyHistograms,
} from "./histogram.js";
export {
  type ClosedLoopInput,
  type LoadBounds,
  type LoadStats,
  type OpenLoopInput,
  runClosedLoop,
  runOpenLoop,
} from "./load.js";
export { mergeResults, readResultFile } from "./merge.js";
export { PRESET_NAMES, type PresetName, presetScenario, REALISTIC_WORKLOAD } from "./presets.js";
export { judgeScenario, judgeTargets, recommend } from "./recommend.js";
export {
  createRunRecorder,
  type GoodputBounds,
  HISTOGRAM_NAMES,
  type RecordedRun,
  type RunRecorder,
} from "./recorder.js";
export { plotModel, renderHtml } from "./report/html.js";
export { renderMarkdown } from "./report/markdown.js";
export { writeReports } from "./report/write.js";
export type * from "./result.js";
export { type BenchConfig, machineInfo, runBench } from "./runner.js";
export { type EngineKnobs, type ProcessStats, type ServerProcess, spawnServerProcess } from "./server-process.js";
export { ExitCode, evaluateSlos, parseSlos, type Slo, SloParseError, type SloResult } from "./slo.js";
export { runStreamCall, type StreamOutcome, type WorkItem } from "./stream-call.js";
export { type ChunkArrival, computeStreamMetrics, type StreamMetrics, type StreamTimeline } from "./stream-metrics.js";
export { summarizeScenario, summarizeWindows } from "./summarize.js";
export type { SweepConfig } from "./sweep.js";
export { type ServerKind, selectTransports, TRANSPORTS, type TransportPlugin } from "./transports.js";
export { exitCodeOf, type RunVerdict, runVerdict } from "./verdict.js";
export { createWorkSource, DEFAULT_WORKLOAD, type Workload } from "./workload.js";
