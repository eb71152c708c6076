/**
 * What the measurement scripts (idle-close.mjs, paused-streams-rss.mjs) share: spawning a built gateway entry on
 * free loopback ports and waiting for its ready line.
 */
import { spawn } from "node:child_process";

/** The flags that put each listener (HTTP, Connect, MCP over TCP, admin) on a free port, and no log lines. */
const FREE_QUIET = ["--http-port", "0", "--connect-port", "0", "--mcp-port", "0", "--admin-port", "0", "--quiet"];

/**
 * Spawns `main` (this checkout's `apps/server/dist/main.js` or another build's) with {@link FREE_QUIET} and `args`,
 * stderr inherited; resolves once it printed its ready line with the child and that line parsed
 * (`{ event, pid, startupMs, addresses: [{ protocol, url }] }`); rejects when the gateway exits first.
 */
export async function spawnGateway(main, args = []) {
  const proc = spawn(process.execPath, [main, ...FREE_QUIET, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  const ready = await new Promise((resolve, reject) => {
    let out = "";
    proc.once("exit", (c) => reject(new Error(`gateway exited ${c} before its ready line`)));
    proc.stdout.on("data", (d) => {
      out += d;
      const nl = out.indexOf("\n");
      if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)));
    });
  });
  return { proc, ready };
}
