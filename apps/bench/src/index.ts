/**
 * @modelwire/bench: `modelwire bench`, the protocol comparison. A constant-rate (or Poisson) open-loop load
 * generator free of coordinated omission and a closed-loop N-stream runner over any InferenceClient; LLM stream
 * metrics (TTFT, inter-chunk gap, per-token decode time, E2E, longest stall) in HDR histograms; server and
 * generator cost; interleaved repeats with median and spread; a rate sweep to the SLO knee; JSON, Markdown and
 * self-contained HTML reports with a recommendation generated from the data.
 *
 * @packageDocumentation
 */
export { runBenchCli, parseBenchArgs, executeBench, parseDuration, UsageError, BENCH_HELP } from "./cli.js";
export { runBench, summarizeWindows, type BenchConfig, type SweepConfig } from "./runner.js";
export { runOpenLoop, runClosedLoop, type LoadStats, type LoadBounds, type OpenLoopInput, type ClosedLoopInput } from "./load.js";
export { runStreamCall, type StreamOutcome, type WorkItem } from "./stream-call.js";
export { computeStreamMetrics, type StreamMetrics, type StreamTimeline, type ChunkArrival } from "./stream-metrics.js";
export {
  createLatencyHistogram,
  decodeLatencyHistogram,
  mergeLatencyHistograms,
  type LatencyHistogram,
  type LatencySummary,
} from "./histogram.js";
export { createRunRecorder, HISTOGRAM_NAMES, type RunRecorder, type RecordedRun, type GoodputBounds } from "./recorder.js";
export { parseSlos, evaluateSlos, SloParseError, ExitCode, type Slo, type SloResult } from "./slo.js";
export { TRANSPORTS, selectTransports, type TransportPlugin, type ServerKind } from "./transports.js";
export { presetScenario, PRESET_NAMES, REALISTIC_WORKLOAD, type PresetName } from "./presets.js";
export { DEFAULT_WORKLOAD, createWorkSource, type Workload } from "./workload.js";
export { spawnServerProcess, type ServerProcess, type ProcessStats, type EngineKnobs } from "./server-process.js";
export { createEchoServer, type EchoServer } from "./echo/echo-server.js";
export { createEchoClient } from "./echo/echo-client.js";
export { recommend, judgeScenario, judgeTargets } from "./recommend.js";
export { renderMarkdown } from "./report/markdown.js";
export { renderHtml, plotModel } from "./report/html.js";
export { writeReports } from "./report/write.js";
export { readResultFile, mergeResults } from "./merge.js";
export { createGeneratorMonitor, generatorWarning } from "./generator-monitor.js";
export type * from "./result.js";
