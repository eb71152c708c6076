/**
 * The benchmark's server process (started by run.ts over IPC): an MCP server on a synthetic engine (one token
 * per generate) and, once told the MCP exchange's message sizes, the raw echo server. It answers `cpu` with its own
 * `process.cpuUsage()`, so the client can charge server CPU to each measurement window.
 */
import { createSyntheticEngine } from "@modelwire/engine";
import { createMcpServer } from "../index.js";
import { type EchoServer, startEchoServer } from "./echo.js";

type Command = { cmd: "echo"; replySizes: number[] } | { cmd: "cpu"; id: number } | { cmd: "stop" };

const send = (m: unknown) => process.send?.(m);

async function main() {
  const engine = createSyntheticEngine({ tokens: 1 });
  const server = createMcpServer({ engine, tcp: { port: 0 } });
  const [addr] = await server.listen();
  let echo: EchoServer | undefined;
  process.on("message", async (m: Command) => {
    if (m.cmd === "echo") {
      echo = await startEchoServer(m.replySizes);
      send({ cmd: "echo", port: echo.port });
    } else if (m.cmd === "cpu") {
      const u = process.cpuUsage();
      send({ cmd: "cpu", id: m.id, us: u.user + u.system, engine: engine.stats() });
    } else if (m.cmd === "stop") {
      await echo?.close();
      await server.close({ graceMs: 0 });
      process.disconnect();
    }
  });
  // The client process is gone (or done): never linger.
  process.on("disconnect", () => setTimeout(() => process.exit(0), 100).unref());
  send({ cmd: "ready", url: addr.url });
}

await main();
