#!/usr/bin/env node
/**
 * Gateway RSS with N streams whose reader reads nothing (issue 19: bounded memory under overload): gRPC Generate
 * streams on one HTTP/2 session (`--wire grpc`, default), Ollama /api/generate streams, one HTTP/1.1 connection
 * each (`--wire http`), or MCP Generate streams, 100 per connection (`--wire mcp`, this tree's MCP client, each
 * stream's first chunk read, then nothing).
 * For each gateway entry (`--main PATH`, repeatable; default this tree's apps/server/dist/main.js; `--main "PATH
 * --flag value"` adds flags to that gateway, e.g. a `--max-queued-bytes`), rounds
 * interleaved: spawn it on loopback (`--max-streams N+10 --write-stall-timeout-ms 0`, synthetic engine with
 * `--tokens T`), open N streams and never read them, wait until the gateway's RSS has moved
 * less than 1 MiB for 3 s (at most 60 s), print base and plateau RSS, the gateway's peak (VmHWM), its V8 heap used
 * and total at the plateau and the write budget's figures (from /metrics, when the gateway has them), kill it.
 *
 *   /work/tools/quiet node scripts/paused-streams-rss.mjs [--main A.js --main "B.js --max-queued-bytes 4194304"]
 *     [--streams 1000] [--tokens 4000] [--rounds 2] [--wire grpc|http|mcp]
 */
import { readFileSync } from "node:fs";
import * as http from "node:http";
import * as http2 from "node:http2";
import { parseArgs } from "node:util";
import { spawnGateway } from "./spawn-gateway.mjs";

const { values } = parseArgs({
  options: {
    main: { type: "string", multiple: true },
    streams: { type: "string", default: "1000" },
    tokens: { type: "string", default: "4000" },
    rounds: { type: "string", default: "2" },
    wire: { type: "string", default: "grpc" },
  },
});
const mains = values.main ?? [new URL("../apps/server/dist/main.js", import.meta.url).pathname];
const streams = Number(values.streams);
const pause = (ms) => new Promise((r) => setTimeout(r, ms));
const mib = (pid, key) =>
  Number(new RegExp(`${key}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]) / 1024;

/** GenerateRequest { model: "synthetic", prompt: "q" } in protobuf, in a gRPC envelope. */
const message = Buffer.from([0x0a, 9, ...Buffer.from("synthetic"), 0x12, 1, 0x71]);
const request = Buffer.concat([Buffer.from([0, 0, 0, 0, message.length]), message]);

async function once(entry) {
  const [main, ...extra] = entry.split(" ").filter((x) => x !== "");
  const { proc: gw, ready } = await spawnGateway(main, [
    ...extra,
    ...["--tokens", values.tokens, "--max-streams", String(streams + 10), "--write-stall-timeout-ms", "0"],
  ]);
  const base = mib(gw.pid, "VmRSS");
  const close =
    values.wire === "http" ? unreadHttp(ready) : values.wire === "mcp" ? await unreadMcp(ready) : unreadGrpc(ready);
  const t0 = Date.now();
  let last = 0;
  let since = Date.now();
  while (Date.now() - t0 < 60_000) {
    await pause(500);
    const r = mib(gw.pid, "VmRSS");
    if (Math.abs(r - last) >= 1) {
      last = r;
      since = Date.now();
    } else if (Date.now() - since >= 3_000) break;
  }
  const admin = ready.addresses.find((a) => a.protocol === "admin").url;
  const server = values.wire === "grpc" ? "connect" : values.wire;
  const inFlight = (await (await fetch(`${admin}/control/stats`)).json()).servers[server].inFlight;
  const metrics = await (await fetch(`${admin}/metrics`)).text();
  const metric = (name) => {
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, "m").exec(metrics);
    return m ? Number(m[1]) : undefined;
  };
  const row = {
    main: entry,
    heapUsedMiB: (metric("nodejs_heap_size_used_bytes") ?? Number.NaN) / 2 ** 20,
    heapTotalMiB: (metric("nodejs_heap_size_total_bytes") ?? Number.NaN) / 2 ** 20,
    queuedBytes: metric("modelwire_queued_write_bytes"),
    budgetCuts: metric("modelwire_write_budget_cut_total"),
    streams,
    tokens: Number(values.tokens),
    inFlight,
    baseMiB: base,
    plateauMiB: last,
    peakMiB: mib(gw.pid, "VmHWM"),
  };
  await close();
  gw.kill("SIGKILL");
  return row;
}

/** N MCP Generate streams (this tree's client, 100 streams per connection): each one's first chunk read, then nothing. */
async function unreadMcp(ready) {
  const { createMcpClient } = await import("@modelwire/mcp");
  const url = ready.addresses.find((a) => a.protocol === "mcp-tcp").url;
  // A long heartbeat: a client that reads nothing sees no frame either, and its dead-peer check (2 heartbeats,
  // 10 s by default) would close the connection and the gateway would hold nothing.
  const client = createMcpClient({ url, poolSize: Math.max(1, Math.ceil(streams / 100)), heartbeatMs: 600_000 });
  const request = { model: "synthetic", prompt: "q" };
  const its = Array.from({ length: streams }, () => client.generate(request)[Symbol.asyncIterator]());
  await Promise.all(its.map((it) => it.next().catch(() => {})));
  return () => client.close().catch(() => {});
}

/** N gRPC Generate streams on one HTTP/2 session, never read; returns what closes them. */
function unreadGrpc(ready) {
  const session = http2.connect(ready.addresses.find((a) => a.protocol === "connect").url);
  session.on("error", () => {});
  for (let i = 0; i < streams; i++) {
    const s = session.request({
      ":method": "POST",
      ":path": "/modelwire.v1.InferenceService/Generate",
      "content-type": "application/grpc",
      te: "trailers",
    });
    s.on("error", () => {});
    s.pause();
    s.end(request);
  }
  return () => session.destroy();
}

/** N /api/generate streams, one connection each, never read; returns what closes them. */
function unreadHttp(ready) {
  const url = ready.addresses.find((a) => a.protocol === "http").url;
  const body = JSON.stringify({ model: "synthetic", prompt: "q" });
  const requests = [];
  for (let i = 0; i < streams; i++) {
    const req = http.request(`${url}/api/generate`, { method: "POST", agent: false });
    req.on("response", (res) => res.pause());
    req.on("error", () => {});
    req.end(body);
    requests.push(req);
  }
  return () => {
    for (const r of requests) r.destroy();
  };
}

console.log(`paused-streams-rss ${new Date().toISOString()} loadavg ${readFileSync("/proc/loadavg", "utf8").trim()}`);
for (let r = 1; r <= Number(values.rounds); r++) {
  for (const main of mains) {
    const x = await once(main);
    const per = ((x.plateauMiB - x.baseMiB) * 1024) / x.streams;
    console.log(
      `round ${r} ${x.main}: ${values.wire}, ${x.streams} streams (${x.inFlight} in flight), ${x.tokens} tokens: RSS ${x.baseMiB.toFixed(1)} -> ` +
        `${x.plateauMiB.toFixed(1)} MiB (peak ${x.peakMiB.toFixed(1)}), ${per.toFixed(0)} KiB per stream; ` +
        `V8 heap used ${x.heapUsedMiB.toFixed(1)} of ${x.heapTotalMiB.toFixed(1)} MiB; ` +
        `queued write bytes ${x.queuedBytes ?? "n/a"}, budget cuts ${x.budgetCuts ?? "n/a"}`,
    );
  }
}
