import type { InferenceClient } from "@modelwire/core";
import { afterEach } from "vitest";
import { FREE_PORT_ARGS } from "../free-ports.js";
import { type SpawnedGateway, spawnGateway } from "./spawn-gateway.js";

/** The flags that put each of a gateway's listeners (HTTP, Connect, MCP, admin) on a free port. */
export const FREE_PORTS = FREE_PORT_ARGS;

/** Gateways and clients a test file started; all are closed after each test. */
export interface GatewayTracker {
  /** Clients to close after the test. */
  clients: InferenceClient[];
  /** Spawns a gateway with {@link FREE_PORTS} then `args` (and `env`), killed after the test. */
  start(args: string[], env?: Record<string, string>): Promise<SpawnedGateway>;
}

/**
 * Tracks the gateways and clients of the calling test file: after each test its clients are closed, then its
 * gateways killed.
 */
export function gatewaysAfterEach(): GatewayTracker {
  const running: SpawnedGateway[] = [];
  const clients: InferenceClient[] = [];
  afterEach(async () => {
    await Promise.allSettled(clients.splice(0).map((c) => c.close()));
    await Promise.allSettled(running.splice(0).map((g) => g.kill()));
  });
  return {
    clients,
    async start(args, env) {
      const gw = await spawnGateway([...FREE_PORTS, ...args], { env });
      running.push(gw);
      return gw;
    },
  };
}
