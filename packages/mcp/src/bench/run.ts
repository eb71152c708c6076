/**
 * MCP benchmark: requests/s of a one-token generate at 1 and 16 in flight on one connection, beside a raw Node TCP
 * length-prefixed echo measured in the same run (`npm run bench`). Everything runs in this process on loopback;
 * each measurement is bounded (BENCH_MS, default 3000 ms, after a 500 ms warm-up). Figures depend on the machine
 * and its load.
 */
import { create } from "@bufbuild/protobuf";
import { GenerateRequestSchema, type InferenceClient } from "@modelwire/core";
import { backgroundContext, createSyntheticEngine, type Engine } from "@modelwire/engine";
import { createMcpClient, createMcpServer } from "../index.js";
import { connectEcho, startEchoServer } from "./echo.js";
import { createStubEngine } from "./stub-engine.js";

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

/** The engine alone, in-process, no transport: the ceiling any transport can reach with this engine. */
async function engineRun(engine: Engine, inFlight: number, ms: number): Promise<number> {
  const req = create(GenerateRequestSchema, { model: "synthetic:latest", prompt: "hi", options: { numPredict: 1 } });
  const end = performance.now() + ms;
  let done = 0;
  const worker = async () => {
    while (performance.now() < end) {
      for await (const _ of engine.generate(req, backgroundContext())) {
        /* drain */
      }
      done++;
      if (done % 32 === 0) await new Promise((r) => setImmediate(r));
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
  const stubServer = createMcpServer({ engine: createStubEngine(), tcp: { port: 0 } });
  const [stubAddr] = await stubServer.listen();
  const stubClient = createMcpClient({ url: stubAddr.url });
  await stubClient.version();

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
  console.log("mcp = MCP + synthetic engine (the figure the target is about); mcp-stub = MCP + a no-work engine");
  console.log("(transport cost alone); engine = the synthetic engine in-process, no transport (ceiling for mcp).");
  console.log("in-flight | echo req/s | mcp req/s | mcp/echo | mcp-stub req/s | stub/echo | engine req/s | mcp/engine");
  const results: { inFlight: number; echo: number; mcp: number; mcpStub: number; engine: number }[] = [];
  for (const inFlight of LEVELS) {
    await echoClient.run(inFlight, WARM_MS);
    const e = (await echoClient.run(inFlight, MS)) / (MS / 1000);
    await mcpRun(client, inFlight, WARM_MS);
    const m = (await mcpRun(client, inFlight, MS)) / (MS / 1000);
    await mcpRun(stubClient, inFlight, WARM_MS);
    const st = (await mcpRun(stubClient, inFlight, MS)) / (MS / 1000);
    await engineRun(engine, inFlight, WARM_MS);
    const en = (await engineRun(engine, inFlight, MS)) / (MS / 1000);
    results.push({ inFlight, echo: e, mcp: m, mcpStub: st, engine: en });
    const f = (x: number, w: number) => x.toFixed(0).padStart(w);
    console.log(
      `${f(inFlight, 9)} | ${f(e, 10)} | ${f(m, 9)} | ${(m / e).toFixed(2).padStart(7)}x | ${f(st, 14)} | ${(st / e).toFixed(2).padStart(8)}x | ${f(en, 12)} | ${(m / en).toFixed(2).padStart(9)}x`,
    );
  }
  console.log(JSON.stringify({ bench: "mcp-vs-echo", ms: MS, results }));
  echoClient.close();
  await echo.close();
  await client.close();
  await server.close({ graceMs: 0 });
  await stubClient.close();
  await stubServer.close({ graceMs: 0 });
}

await main();
