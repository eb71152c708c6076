/**
 * MCP benchmark: requests/s of a one-token generate at 1 and 16 in flight on one connection, beside a raw Node TCP
 * length-prefixed echo measured in the same run (`npm run bench`). Everything runs in this process on loopback;
 * each measurement is bounded (BENCH_MS, default 3000 ms, after a 500 ms warm-up). Figures depend on the machine
 * and its load.
 */
import { create } from "@bufbuild/protobuf";
import { GenerateRequestSchema, type InferenceClient } from "@modelwire/core";
import { createSyntheticEngine } from "@modelwire/engine";
import { createMcpClient, createMcpServer } from "../index.js";
import { connectEcho, startEchoServer } from "./echo.js";

const MS = Math.min(Number(process.env.BENCH_MS ?? 3000), 20_000);
const WARM_MS = 500;
const LEVELS = [1, 16];

async function mcpRun(client: InferenceClient, inFlight: number, ms: number): Promise<number> {
  const req = create(GenerateRequestSchema, { model: "synthetic:latest", prompt: "hi", options: { numPredict: 1 } });
  const end = performance.now() + ms;
  let done = 0;
  const worker = async () => {
    while (performance.now() < end) {
      let tokens = 0;
      for await (const c of client.generate(req)) if (!c.done) tokens++;
      if (tokens !== 1) throw new Error(`expected one token, got ${tokens}`);
      done++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return done;
}

async function main() {
  const engine = createSyntheticEngine({ tokens: 1 });
  const server = createMcpServer({ engine, tcp: { port: 0 } });
  const [addr] = await server.listen();
  const client = createMcpClient({ url: addr.url });
  await client.version();

  // Size the echo message like an MCP one-token generate exchange (request frame + reply frames) per direction.
  const echo = await startEchoServer();
  const probe = createMcpClient({ url: addr.url });
  await mcpRun(probe, 1, 50);
  const before = server.stats();
  const n = await mcpRun(probe, 1, 200);
  const after = server.stats();
  await probe.close();
  const reqBytes = Math.round((after.bytesIn - before.bytesIn) / n);
  const replyBytes = Math.round((after.bytesOut - before.bytesOut) / n);
  const echoSize = Math.max(reqBytes, replyBytes) - 4;
  const echoClient = await connectEcho(echo.port, echoSize);

  console.log(`MCP one-token generate vs raw TCP length-prefixed echo (${MS} ms per figure, loopback, one connection)`);
  console.log(`MCP bytes per request: ${reqBytes} in, ${replyBytes} out; echo message: ${echoSize + 4} bytes each way`);
  console.log("in-flight | echo req/s | mcp req/s | mcp/echo");
  const results: { inFlight: number; echo: number; mcp: number }[] = [];
  for (const inFlight of LEVELS) {
    await echoClient.run(inFlight, WARM_MS);
    const e = (await echoClient.run(inFlight, MS)) / (MS / 1000);
    await mcpRun(client, inFlight, WARM_MS);
    const m = (await mcpRun(client, inFlight, MS)) / (MS / 1000);
    results.push({ inFlight, echo: e, mcp: m });
    console.log(
      `${String(inFlight).padStart(9)} | ${e.toFixed(0).padStart(10)} | ${m.toFixed(0).padStart(9)} | ${(m / e).toFixed(2)}x`,
    );
  }
  console.log(JSON.stringify({ bench: "mcp-vs-echo", ms: MS, results }));
  echoClient.close();
  await echo.close();
  await client.close();
  await server.close({ graceMs: 0 });
}

await main();
