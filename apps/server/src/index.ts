/**
 * @modelwire/server: `modelwire serve`, one gateway process that speaks the Ollama HTTP API, Connect/gRPC and
 * MCP (the Model Communication Protocol) in front of one engine, with Prometheus metrics, a control endpoint for
 * the benchmark, shared overload protection, bearer-token auth, TLS and graceful shutdown.
 *
 * This module is light: the gateway itself (engine, prom-client, protocol packages) loads on first use.
 *
 * @packageDocumentation
 */
import type { Gateway, Logger } from "./gateway.js";
import type { ServeConfig } from "./config.js";

export { runServeCli, EXIT_USAGE, EXIT_START_FAILED } from "./serve-cli.js";
export { GATEWAY_MAIN } from "./gateway-main.js";
export { resolveServeConfig, badOption, type ServeConfig, type ConfigSources, type ParsedServeArgs } from "./config.js";
export { defaultServeConfig } from "./defaults.js";
export { serveHelp } from "./help.js";
export { SERVE_OPTIONS, CONFIG_OPTION, type OptionSpec, type OptionKind } from "./options.js";
export type { Gateway, ControlStats, SyntheticKnobs, Logger } from "./gateway.js";
export type { GatewayMetrics, MetricsSources } from "./metrics.js";
export type { ProtocolName } from "./protocols.js";
export { parseReadyLine, type ReadyLine } from "./ready-line.js";

/**
 * Starts a gateway in this process (tests, embedding): every enabled listener bound when it resolves. Missing
 * config fields take the `modelwire serve` defaults; pass port 0 for free ports. See {@link Gateway}.
 */
export async function startGateway(config: Partial<ServeConfig> = {}, log?: Logger): Promise<Gateway> {
  const m = await import("./gateway.js");
  return m.startGateway(config, log);
}
