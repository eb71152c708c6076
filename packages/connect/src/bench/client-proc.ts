/**
 * Benchmark child: drives one client against a server with N calls in flight for a bounded time, after a warm-up,
 * and prints `{"requests", "errors", "seconds", "rps", "total", "cpuUs"}` on stdout (`total` counts the warm-up too;
 * `cpuUs` is this process's CPU time over all of it). The workload is `unary` (tiny Version calls) or
 * `generate:<n>` (a server-streaming Generate asking for n tokens, read to the end; one request = one whole stream).
 * Usage: `client-proc.ts <connect|connect-stock|grpc-js> <url> <durationMs> <concurrency> <warmupMs> [workload]`.
 * `connect-stock` turns both of our client fast paths off (every call through connect-node).
 */
import type { InferenceClient } from "@modelwire/core";
import { delay } from "@modelwire/core";
import { createConnectClient } from "../client.js";
import { createGrpcJsClient } from "../grpc-js/index.js";

const [kind, url, durationArg, concurrencyArg, warmupArg, workloadArg = "unary"] = process.argv.slice(2);
const durationMs = Math.min(Number(durationArg) || 3_000, 60_000);
const concurrency = Math.min(Number(concurrencyArg) || 16, 1_024);
const warmupMs = Math.min(Number(warmupArg) || 500, 10_000);
const maxRequests = 5_000_000;

let client: InferenceClient;
if (kind === "connect") client = createConnectClient({ baseUrl: url, protocol: "grpc" });
else if (kind === "connect-stock")
  client = createConnectClient({ baseUrl: url, protocol: "grpc", fastUnary: false, fastStreaming: false });
else if (kind === "grpc-js") client = createGrpcJsClient({ address: url });
else {
  console.error(`unknown client kind ${kind}`);
  process.exit(2);
}

const streamTokens = /^generate:(\d{1,6})$/.exec(workloadArg)?.[1];
if (workloadArg !== "unary" && streamTokens === undefined) {
  console.error(`unknown workload ${workloadArg}`);
  process.exit(2);
}
const generateRequest = { model: "synthetic", prompt: "bench", options: { numPredict: Number(streamTokens ?? 0) } };
/** One request: a Version call, or a Generate stream read to its final chunk (token count checked). */
async function once(): Promise<void> {
  if (streamTokens === undefined) {
    await client.version();
    return;
  }
  let tokens = 0;
  let final = false;
  for await (const chunk of client.generate(generateRequest)) {
    if (chunk.done) final = true;
    else tokens++;
  }
  if (!final || tokens !== generateRequest.options.numPredict)
    throw new Error(`stream ended with ${tokens} tokens, final chunk ${final}`);
}

let counting = false;
let total = 0;
let stop = false;
let requests = 0;
let errors = 0;
let firstError: string | undefined;
async function worker() {
  while (!stop && requests < maxRequests) {
    try {
      await once();
      total++;
      if (counting) requests++;
    } catch (e) {
      if (counting) errors++;
      firstError ??= String(e);
    }
  }
}
const cpu0 = process.cpuUsage();
const workers = Array.from({ length: concurrency }, worker);
await delay(warmupMs);
counting = true;
const t0 = performance.now();
await delay(durationMs);
counting = false;
const seconds = (performance.now() - t0) / 1000;
stop = true;
await Promise.all(workers);
const cpu = process.cpuUsage(cpu0);
await client.close();
process.stdout.write(
  `${JSON.stringify({ requests, errors, seconds, rps: requests / seconds, total, cpuUs: cpu.user + cpu.system, firstError })}\n`,
);
process.exit(0);
