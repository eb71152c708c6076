/**
 * Benchmark child: starts one server over the synthetic engine, prints `{"url": ...}` on stdout, and closes on
 * SIGTERM or when stdin ends; a line `cpu` on stdin is answered with `{"cpuUs": ...}`. Usage: `server-proc.ts <connect|connect-stock|grpc-js>` (`connect-stock`: every call through connect-node, no fast path; the engine is the zero-delay synthetic one).
 */

import type { ProtocolServer } from "@modelwire/core";
import { createSyntheticEngine } from "@modelwire/engine";
import { createGrpcJsServer } from "../grpc-js/index.js";
import { createConnectServer } from "../server.js";

const kind = process.argv[2];
const engine = createSyntheticEngine({ tokens: 8 });
let server: ProtocolServer;
if (kind === "connect") server = createConnectServer({ engine });
else if (kind === "connect-stock") server = createConnectServer({ engine, fastUnary: false, fastStreaming: false });
else if (kind === "grpc-js") server = createGrpcJsServer({ engine });
else {
  console.error(`unknown server kind ${kind}`);
  process.exit(2);
}
const [address] = await server.listen();
process.stdout.write(`${JSON.stringify({ url: address.url })}\n`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await server.close({ graceMs: 500 });
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.stdin.on("end", stop);
// A line "cpu" on stdin answers with the CPU time this process has used, in microseconds (user + system).
let pending = "";
process.stdin.on("data", (d) => {
  pending += d;
  let nl = pending.indexOf("\n");
  while (nl >= 0) {
    const line = pending.slice(0, nl).trim();
    pending = pending.slice(nl + 1);
    if (line === "cpu") {
      const u = process.cpuUsage();
      process.stdout.write(`${JSON.stringify({ cpuUs: u.user + u.system })}\n`);
    }
    nl = pending.indexOf("\n");
  }
});
