/**
 * @modelwire/server: `modelwire serve`, one gateway process that speaks the Ollama HTTP API, Connect/gRPC and
 * MCP (the Model Communication Protocol) in front of one engine, with Prometheus metrics, a control endpoint for
 * the benchmark, shared overload protection, bearer-token auth, TLS and graceful shutdown.
 *
 * This module is light: the gateway itself (engine, prom-client, protocol packages) loads on first use.
 *
 * @packageDocumentation
 */

import type { Gateway, GatewayConfig, Logger } from "./gateway.js";

export { badOption, type ConfigSources, type ParsedServeArgs, resolveServeConfig, type ServeConfig } from "./config.js";
export { defaultServeConfig } from "./defaults.js";
export type { FleetStats } from "./fleet/fleet-engine.js";
export type { UpstreamStats } from "./fleet/member.js";
export type { UpstreamSpec } from "./fleet/upstream-spec.js";
export { FREE_PORT_ARGS } from "./free-ports.js";
export type { ControlStats, Gateway, GatewayConfig, Logger, SyntheticKnobs } from "./gateway.js";
export { GATEWAY_MAIN } from "./gateway-main.js";
export { serveHelp } from "./help.js";
export type { GatewayMetrics, MetricsSources } from "./metrics.js";
export { CONFIG_OPTION, type OptionKind, type OptionSpec, SERVE_OPTIONS } from "./options.js";
export type { ProtocolName } from "./protocols.js";
export { parseReadyLine, type ReadyLine } from "./ready-line.js";
export { EXIT_START_FAILED, EXIT_USAGE, runServeCli } from "./serve-cli.js";

/**
 * Starts a gateway in this process (tests, embedding): every enabled listener bound when it resolves. Missing
 * config fields take the `modelwire serve` defaults; pass port 0 for free ports. See {@link Gateway}.
 */
export async function startGateway(config: GatewayConfig = {}, log?: Logger): Promise<Gateway> {
  const m = await import("./gateway.js");
  return m.startGateway(config, log);
}
