import { spawnGateway } from "../test-support/spawn-gateway.js";
import { createGrpcInputs, createGrpcSessions } from "./grpc-target.js";
import { createHttpInputs, sendHttp } from "./http-target.js";
import { createMcpInputs, sendMcp } from "./mcp-target.js";
import { count, newTally, type Outcome, type TargetTally } from "./tally.js";

/** How long a campaign runs and how hard it pushes. */
export interface CampaignOptions {
  /** Inputs in total, spread evenly over the parsers. */
  inputs: number;
  /** Time budget in seconds; the campaign stops at whichever of the two comes first. */
  seconds: number;
  /** Seed of every generator (the same seed replays the same inputs). Default 1. */
  seed?: number;
  /** Inputs in flight at once. Default 16. */
  concurrency?: number;
  /** No answer within this is a hang. Default 5000 ms. */
  hangMs?: number;
}

/** What a campaign found. */
export interface CampaignResult {
  tallies: TargetTally[];
  /** The gateway process exited during the campaign (its exit code or signal), or undefined. */
  crash: string | undefined;
  /** HTTP/2 sessions that ended in an error (a bad stream should fail only itself). */
  sessionErrors: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  peakRssBytes: number;
  /** After the campaign a valid call on each wire still succeeded. */
  servesAfter: boolean;
  seconds: number;
}

async function adminStats(admin: string): Promise<{ rssBytes: number; maxRssBytes: number }> {
  const r = await fetch(`${admin}/control/stats`, { signal: AbortSignal.timeout(5_000) });
  return (await r.json()) as { rssBytes: number; maxRssBytes: number };
}

/**
 * Runs the fault campaign: starts the built gateway (`apps/server/dist/main.js`, loopback, ephemeral ports) and sends
 * it generated inputs over real sockets — MCP frames, Ollama/OpenAI JSON bodies, gRPC/Connect envelopes and
 * headers — round-robin until the input count or the time budget is used up, counting per parser what hung or got
 * a 5xx, and whether the process survived. The gateway is killed at the end.
 */
export async function runCampaign(o: CampaignOptions): Promise<CampaignResult> {
  const seed = o.seed ?? 1;
  const hangMs = o.hangMs ?? 5_000;
  const gw = await spawnGateway([
    "--http-port",
    "0",
    "--connect-port",
    "0",
    "--mcp-port",
    "0",
    "--admin-port",
    "0",
    "--quiet",
    "--tokens",
    "4",
    "--max-streams",
    "64",
    "--max-queue",
    "64",
  ]);
  let crash: string | undefined;
  void gw.exited.then(({ code, signal }) => {
    crash ??= `gateway exited (${signal ?? code})`;
  });
  const start = Date.now();
  try {
    const http = gw.url("http");
    const mcpPort = Number(new URL(gw.url("mcp-tcp")).port);
    const admin = gw.url("admin");
    const grpc = createGrpcSessions(gw.url("connect"), 4);
    const rssBeforeBytes = (await adminStats(admin)).rssBytes;
    const mcpInputs = createMcpInputs(seed);
    const httpInputs = createHttpInputs(seed);
    const grpcInputs = createGrpcInputs(seed);
    const tallies = [newTally("mcp frames"), newTally("ollama/openai json"), newTally("grpc/connect envelopes")];
    const deadline = start + o.seconds * 1000;
    let issued = 0;
    const one = async (n: number): Promise<void> => {
      const which = n % 3;
      const i = Math.floor(n / 3);
      const t0 = performance.now();
      const took = () => performance.now() - t0;
      // A hang is replayed once on its own: only a second hang counts (a loaded machine can be slow once).
      const confirm = async (send: () => Promise<Outcome>): Promise<Outcome> => {
        const first = await send();
        return first.kind === "hang" ? send() : first;
      };
      if (which === 0) {
        const input = mcpInputs(i);
        count(tallies[0], input, await confirm(() => sendMcp(mcpPort, input, hangMs)), took());
      } else if (which === 1) {
        const input = httpInputs(i);
        count(tallies[1], input.body, await confirm(() => sendHttp(http, input, hangMs)), took(), `${input.path} `);
      } else {
        const input = grpcInputs(i);
        const outcome = await confirm(() => grpc.send(input, hangMs));
        const label = `${input.headers[":path"]} ${input.headers["content-type"]} `;
        count(tallies[2], input.body, outcome, took(), label);
      }
    };
    const worker = async () => {
      while (issued < o.inputs && Date.now() < deadline && crash === undefined) await one(issued++);
    };
    let peakRssBytes = rssBeforeBytes;
    const sampler = setInterval(() => {
      adminStats(admin).then(
        (s) => (peakRssBytes = Math.max(peakRssBytes, s.maxRssBytes)),
        () => {},
      );
    }, 1_000);
    await Promise.all(Array.from({ length: o.concurrency ?? 16 }, worker));
    clearInterval(sampler);
    const sessionErrors = grpc.sessionErrors;
    grpc.close();
    let servesAfter = false;
    let rssAfterBytes = 0;
    if (crash === undefined) {
      const after = await adminStats(admin);
      rssAfterBytes = after.rssBytes;
      peakRssBytes = Math.max(peakRssBytes, after.maxRssBytes);
      servesAfter = await servesEveryWire(http, gw.url("connect"), mcpPort);
    }
    return {
      tallies,
      crash,
      sessionErrors,
      rssBeforeBytes,
      rssAfterBytes,
      peakRssBytes,
      servesAfter,
      seconds: (Date.now() - start) / 1000,
    };
  } finally {
    await gw.kill();
  }
}

/** A valid call on each wire: HTTP `/api/version`, gRPC `Version`, an MCP handshake. */
async function servesEveryWire(http: string, connect: string, mcpPort: number): Promise<boolean> {
  const okHttp = (await fetch(`${http}/api/version`, { signal: AbortSignal.timeout(5_000) })).status === 200;
  const grpc = createGrpcSessions(connect, 1);
  const g = await grpc.send(
    {
      headers: {
        ":method": "POST",
        ":path": "/modelwire.v1.InferenceService/Version",
        "content-type": "application/grpc",
        te: "trailers",
      },
      body: new Uint8Array(5),
    },
    5_000,
  );
  grpc.close();
  const { mcpSeeds } = await import("./mcp-target.js");
  const hello = mcpSeeds()[0];
  const welcomed = await new Promise<boolean>((resolve) => {
    import("node:net").then((net) => {
      const s = net.connect(mcpPort, "127.0.0.1", () => s.write(hello));
      const t = setTimeout(() => {
        s.destroy();
        resolve(false);
      }, 5_000);
      s.on("error", () => {
        clearTimeout(t);
        resolve(false);
      });
      s.once("data", (d: Buffer) => {
        clearTimeout(t);
        s.destroy();
        resolve(d[3] === 2); // the frame type byte (docs/mcp-wire.md §3): WELCOME
      });
    });
  });
  return okHttp && g.kind === "answered" && g.status === 200 && welcomed;
}

/** The result as the lines `npm run fuzz` prints. */
export function formatResult(r: CampaignResult): string {
  const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;
  const lines = [
    `fuzz: ${r.tallies.reduce((a, t) => a + t.inputs, 0)} inputs in ${r.seconds.toFixed(1)} s`,
    ...r.tallies.map(
      (t) =>
        `  ${t.target.padEnd(24)} inputs ${String(t.inputs).padStart(8)}  hangs ${t.hangs}  5xx ${t.serverErrors}` +
        `  reset-without-response ${t.resets}  slowest ${t.slowestMs.toFixed(0)} ms` +
        (t.examples.length ? `\n    e.g. ${t.examples.join("\n    e.g. ")}` : ""),
    ),
    `  crashes ${r.crash === undefined ? 0 : 1}${r.crash ? ` (${r.crash})` : ""}`,
    `  http/2 sessions ended in an error: ${r.sessionErrors}`,
    `  gateway RSS before ${mib(r.rssBeforeBytes)}, after ${mib(r.rssAfterBytes)}, peak ${mib(r.peakRssBytes)}`,
    `  serves every wire afterwards: ${r.servesAfter ? "yes" : "NO"}`,
  ];
  return lines.join("\n");
}

/** Exit status of a campaign: non-zero on a crash, a hang, or a gateway that no longer serves. */
export function failed(r: CampaignResult): boolean {
  return r.crash !== undefined || !r.servesAfter || r.tallies.some((t) => t.hangs > 0);
}
