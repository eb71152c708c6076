/**
 * A reference server process for the bench: `node reference-main.js --kind echo|grpc-js [--seed N] [--tokens N]`.
 * Prints the same ready line as the gateway and serves the `/control/stats` and `/control/engine` subset of its
 * admin contract, so the runner treats every server process alike.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import type { ListenAddress, ServerStats } from "@modelwire/core";
import { createSyntheticEngine } from "@modelwire/engine";
import { createEchoServer } from "./echo/echo-server.js";
import { importGrpcJs } from "./grpc-js-optional.js";

const MAX_BODY = 64 * 1024;

/** Bytes this process passed to read()/write() syscalls (/proc/self/io), for servers that hide their sockets. */
function syscallBytes(): { bytesIn: number; bytesOut: number } {
  try {
    const io = readFileSync("/proc/self/io", "utf8");
    const get = (k: string) => Number(new RegExp(`^${k}: (\\d+)$`, "m").exec(io)?.[1] ?? 0);
    return { bytesIn: get("rchar"), bytesOut: get("wchar") };
  } catch {
    return { bytesIn: 0, bytesOut: 0 };
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      kind: { type: "string", default: "echo" },
      seed: { type: "string", default: "42" },
      tokens: { type: "string", default: "16" },
    },
  });
  const engine = createSyntheticEngine({ seed: Number(values.seed), tokens: Number(values.tokens) });
  let stats: () => ServerStats;
  let addresses: ListenAddress[];
  let closeServer: () => Promise<void>;
  if (values.kind === "echo") {
    const s = createEchoServer({ engine });
    addresses = await s.listen();
    stats = () => s.stats();
    closeServer = () => s.close();
  } else if (values.kind === "grpc-js") {
    const { createGrpcJsServer } = await importGrpcJs();
    const s = createGrpcJsServer({ engine });
    addresses = (await s.listen()).map((a) => ({ ...a, protocol: "grpc-js" }));
    stats = () => ({ ...s.stats(), ...syscallBytes() });
    closeServer = () => s.close({ graceMs: 500 });
  } else {
    throw new Error(`unknown --kind ${values.kind}`);
  }
  const kind = values.kind;
  const admin = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method === "GET" && req.url === "/control/stats") {
      const cpu = process.cpuUsage();
      send(200, {
        pid: process.pid,
        uptimeMs: performance.now(),
        cpu: { userMicros: cpu.user, systemMicros: cpu.system },
        rssBytes: process.memoryUsage.rss(),
        maxRssBytes: process.resourceUsage().maxRSS * 1024,
        engine: engine.stats(),
        servers: { [kind]: stats() },
      });
      return;
    }
    if (req.method === "POST" && req.url === "/control/engine") {
      let body = "";
      req.on("data", (d: Buffer) => {
        body += d.toString("utf8");
        if (body.length > MAX_BODY) req.destroy();
      });
      req.on("end", () => {
        try {
          engine.configure(JSON.parse(body));
          const { ttftMs, interTokenMs, tokens, jitter, seed } = engine.config;
          send(200, { ttftMs, interTokenMs, tokens, jitter, seed });
        } catch (e) {
          send(400, { error: (e as Error).message });
        }
      });
      return;
    }
    send(404, { error: "not found" });
  });
  await new Promise<void>((r) => admin.listen(0, "127.0.0.1", r));
  const a = admin.address();
  const adminPort = typeof a === "object" && a ? a.port : 0;
  addresses.push({ protocol: "admin", url: `http://127.0.0.1:${adminPort}` });
  process.stdout.write(
    `${JSON.stringify({ event: "ready", pid: process.pid, startupMs: performance.now(), addresses })}\n`,
  );
  const stop = () => {
    admin.close();
    void closeServer().finally(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

main().catch((e) => {
  process.stderr.write(`reference server failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
