/**
 * The benchmark's server process (started by run.ts over IPC): an MCP server on a bare synthetic engine (one token
 * per generate), and when asked, the shipped gateway path in the same process (`startGateway` of @modelwire/server
 * with only MCP enabled: admission guard, draining wrapper and Prometheus metrics observer around the same
 * synthetic engine, exactly as `modelwire serve` composes them) and the raw echo server. It answers `cpu` with its
 * own `process.cpuUsage()`, so the client can charge server CPU to each measurement window.
 *
 * BENCH_SERVER_BATCH sets the bare server's `writeBatchFrames` (the frame-writer batch knob; the gateway keeps
 * the shipped default).
 */
import { createSyntheticEngine } from "@modelwire/engine";
import { createMcpServer } from "../index.js";
import { type EchoServer, startEchoServer } from "./echo.js";

type Command =
  | { cmd: "echo"; replySizes: number[] }
  | { cmd: "gateway" }
  | { cmd: "cpu"; id: number }
  | { cmd: "stop" };

const send = (m: unknown) => process.send?.(m);

/** The in-process gateway's parts this process uses (typed here: @modelwire/server is not a dependency of mcp). */
interface GatewayLike {
  url(protocol: string): string | undefined;
  close(options?: { graceMs?: number }): Promise<void>;
}

/**
 * Starts the gateway with MCP over TCP only, on a free port, synthetic engine of one token. @modelwire/server
 * depends on this package, so it is loaded by name at run time (it must be built: `npx turbo build`).
 */
async function startGatewayPath(): Promise<GatewayLike> {
  const name = "@modelwire/server";
  let m: { startGateway(config: Record<string, unknown>): Promise<GatewayLike> };
  try {
    m = await import(name);
  } catch (e) {
    throw new Error(`the gateway row needs the built @modelwire/server (run \`npx turbo build\`): ${e}`);
  }
  return m.startGateway({
    http: false,
    connect: false,
    admin: false,
    mcp: true,
    mcpPort: 0,
    tokens: 1,
    quiet: true,
  });
}

async function main() {
  const engine = createSyntheticEngine({ tokens: 1 });
  const batch = process.env.BENCH_SERVER_BATCH;
  const server = createMcpServer({
    engine,
    tcp: { port: 0 },
    ...(batch !== undefined ? { writeBatchFrames: Number(batch) } : {}),
  });
  const [addr] = await server.listen();
  let echo: EchoServer | undefined;
  let gateway: GatewayLike | undefined;
  process.on("message", async (m: Command) => {
    if (m.cmd === "echo") {
      echo = await startEchoServer(m.replySizes);
      send({ cmd: "echo", port: echo.port });
    } else if (m.cmd === "gateway") {
      try {
        gateway = await startGatewayPath();
        send({ cmd: "gateway", url: gateway.url("mcp-tcp") });
      } catch (e) {
        send({ cmd: "gateway", error: String(e instanceof Error ? e.message : e) });
      }
    } else if (m.cmd === "cpu") {
      const u = process.cpuUsage();
      send({ cmd: "cpu", id: m.id, us: u.user + u.system, engine: engine.stats() });
    } else if (m.cmd === "stop") {
      await echo?.close();
      await gateway?.close({ graceMs: 0 });
      await server.close({ graceMs: 0 });
      process.disconnect();
    }
  });
  // The client process is gone (or done): never linger.
  process.on("disconnect", () => setTimeout(() => process.exit(0), 100).unref());
  send({ cmd: "ready", url: addr.url });
}

await main();
