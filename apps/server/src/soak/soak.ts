import { readdirSync } from "node:fs";
import { clampTimerMs, codeName, ModelwireError } from "@modelwire/core";
import { createStreamVerifier } from "@modelwire/engine";
import { FREE_PORT_ARGS } from "../free-ports.js";
import { ADDRESS_OF, CLIENT_KINDS, type ClientKind, expectedGenerate, makeClient } from "../test-support/clients.js";
import { spawnGateway } from "../test-support/spawn-gateway.js";

/** What {@link runSoak} is given. */
export interface SoakOptions {
  /** Stop once this many tokens streamed (verified or not). */
  tokens: number;
  /** Stop after this many seconds whatever the count. */
  seconds: number;
  /**
   * Streams in flight at once on each wire (0 leaves a wire out). The wires run side by side, each with its own
   * streams, until the shared token budget is spent. The engine yields to the event loop every 64 tokens of a
   * stream, so every stream advances by about as many tokens per turn of the gateway's loop, whatever its wire: the
   * tokens split between the wires as their stream counts do, and a turn costs what its slowest wires cost.
   */
  streams: Record<ClientKind, number>;
  /**
   * Split the token budget evenly between the wires that run: each wire stops starting streams once it has streamed
   * its share (`tokens` / wires), so every wire carries the same number of tokens and the run lasts as long as the
   * slowest wire needs for its share (default false: one shared budget, and the faster wire carries more).
   */
  evenShares?: boolean;
  /** Tokens per stream. */
  tokensPerStream: number;
  /** Seconds between two samples of the gateway's RSS and open file descriptors. */
  sampleSeconds: number;
  /** Called with each sample as it is taken (the CLI prints it). */
  onSample?: (s: SoakSample) => void;
}

/** One look at the gateway process. */
export interface SoakSample {
  atSeconds: number;
  rssBytes: number;
  /** Open file descriptors of the gateway (`/proc/PID/fd`; -1 where unreadable). */
  fds: number;
  tokens: number;
}

/** What a soak run found. */
export interface SoakResult {
  seconds: number;
  streams: number;
  /** Tokens received and verified as the next expected one. */
  verified: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  mismatched: number;
  /** Streams that ended without error but not with every expected token. */
  incomplete: number;
  /** Failed streams by code name. */
  errors: Record<string, number>;
  /** The first few failures: wire, code and message. */
  errorExamples: string[];
  /** Streams per wire. */
  perWire: Record<ClientKind, number>;
  /** Tokens verified per wire. */
  tokensPerWire: Record<ClientKind, number>;
  /**
   * Connections each wire's client opened over the run and reopened after one was lost (`stats().opened`,
   * `reconnects`; undefined where the client does not count): an HTTP/1.1 pool that opens many more than its
   * streams in flight closed idle keep-alive connections and opened new ones.
   */
  connectionsPerWire: Record<ClientKind, { opened?: number; reconnects?: number }>;
  samples: SoakSample[];
  /** The gateway exited during the run. */
  crashed: boolean;
  /** CPU seconds the gateway used between the first and the last sample. */
  gatewayCpuSeconds: number;
  /** CPU seconds this process used (the clients and the verification). */
  clientCpuSeconds: number;
}

function openFds(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return -1;
  }
}

/**
 * The soak: starts the built gateway (synthetic engine, no delays, loopback, ephemeral ports) and streams generate
 * calls over HTTP, gRPC and MCP (modelwire's clients) side by side, `streams[wire]` streams on each, until the
 * token budget or the time budget is spent, verifying every stream token by token against the engine's promise, and
 * sampling the gateway's RSS and descriptors.
 */
export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const gw = await spawnGateway([...FREE_PORT_ARGS]);
  let crashed = false;
  void gw.exited.then(() => {
    crashed = true;
  });
  const pid = gw.proc.pid as number;
  const admin = gw.url("admin");
  const clients = Object.fromEntries(CLIENT_KINDS.map((k) => [k, makeClient(k, gw.url(ADDRESS_OF[k]))])) as Record<
    ClientKind,
    ReturnType<typeof makeClient>
  >;
  const r: SoakResult = {
    seconds: 0,
    streams: 0,
    verified: 0,
    lost: 0,
    duplicated: 0,
    outOfOrder: 0,
    mismatched: 0,
    incomplete: 0,
    errors: {},
    errorExamples: [],
    perWire: { http: 0, connect: 0, mcp: 0 },
    tokensPerWire: { http: 0, connect: 0, mcp: 0 },
    connectionsPerWire: { http: {}, connect: {}, mcp: {} },
    samples: [],
    crashed: false,
    gatewayCpuSeconds: 0,
    clientCpuSeconds: 0,
  };
  let streamed = 0;
  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;
  const over = () => crashed || streamed >= o.tokens || elapsed() >= o.seconds;
  const wires = CLIENT_KINDS.filter((k) => o.streams[k] > 0).length;
  const share = Math.ceil(o.tokens / Math.max(1, wires));
  const streamedBy: Record<ClientKind, number> = { http: 0, connect: 0, mcp: 0 };
  // Even shares: a wire stops at its share (not when the sum reaches the budget: a faster wire would end the others').
  const overFor = (kind: ClientKind) =>
    o.evenShares === true ? crashed || streamedBy[kind] >= share || elapsed() >= o.seconds : over();
  // CPU seconds of the gateway (its /control/stats) and of this process (clients and verification) over the run.
  let gatewayCpu0: number | undefined;
  const clientCpu0 = process.cpuUsage();
  const cpuSeconds = (c: { userMicros: number; systemMicros: number }) => (c.userMicros + c.systemMicros) / 1e6;
  const sample = async () => {
    const stats = (await (await fetch(`${admin}/control/stats`, { signal: AbortSignal.timeout(5_000) })).json()) as {
      rssBytes: number;
      cpu: { userMicros: number; systemMicros: number };
    };
    const s = { atSeconds: Math.round(elapsed()), rssBytes: stats.rssBytes, fds: openFds(pid), tokens: streamed };
    gatewayCpu0 ??= cpuSeconds(stats.cpu);
    r.gatewayCpuSeconds = cpuSeconds(stats.cpu) - gatewayCpu0;
    r.samples.push(s);
    o.onSample?.(s);
  };
  await sample();
  const sampler = setInterval(() => void sample().catch(() => {}), clampTimerMs(Math.max(1, o.sampleSeconds) * 1000));
  let n = 0;
  const worker = async (kind: ClientKind) => {
    while (!overFor(kind)) {
      const i = n++;
      const req = { model: "synthetic", prompt: `soak ${i}`, options: { numPredict: o.tokensPerStream } };
      const verifier = createStreamVerifier(expectedGenerate({ seed: 42 }, req));
      let done = false;
      let got = 0;
      r.streams++;
      r.perWire[kind]++;
      try {
        for await (const c of clients[kind].generate(req)) {
          if (c.response.length > 0) {
            verifier.push(c.response);
            streamed++;
            streamedBy[kind]++;
            got++;
          }
          if (c.done) done = true;
        }
        const v = verifier.report();
        const verified = v.received - v.duplicated - v.outOfOrder - v.mismatched;
        r.verified += verified;
        r.tokensPerWire[kind] += verified;
        r.lost += v.lost;
        r.duplicated += v.duplicated;
        r.outOfOrder += v.outOfOrder;
        r.mismatched += v.mismatched;
        if (!done || !v.ok) r.incomplete++;
      } catch (e) {
        const err = ModelwireError.from(e);
        const name = codeName(err.code);
        r.errors[name] = (r.errors[name] ?? 0) + 1;
        if (r.errorExamples.length < 5) r.errorExamples.push(`${describeFailure(kind, err, elapsed(), got)}`);
      }
    }
  };
  try {
    await Promise.all(CLIENT_KINDS.flatMap((kind) => Array.from({ length: o.streams[kind] }, () => worker(kind))));
    await sample().catch(() => {});
  } finally {
    clearInterval(sampler);
    r.seconds = elapsed();
    const c = process.cpuUsage(clientCpu0);
    r.clientCpuSeconds = (c.user + c.system) / 1e6;
    r.crashed = crashed;
    for (const kind of CLIENT_KINDS) {
      const st = clients[kind].stats();
      r.connectionsPerWire[kind] = { opened: st.opened, reconnects: st.reconnects };
    }
    await Promise.allSettled(Object.values(clients).map((c) => c.close()));
    await gw.kill();
  }
  return r;
}

/** One failed stream for the report: wire, code, when, how far it got, message, metadata and the cause's code. */
function describeFailure(kind: ClientKind, err: ModelwireError, atSeconds: number, tokens: number): string {
  const meta = Object.entries(err.metadata).map(([k, v]) => `${k}=${String(v)}`);
  const cause = err.cause as { code?: unknown; message?: unknown } | undefined;
  const causeText =
    cause && typeof cause === "object" ? ` cause ${String(cause.code ?? "")} ${String(cause.message ?? "")}` : "";
  return (
    `${kind} ${codeName(err.code)} at ${atSeconds.toFixed(1)} s after ${tokens} tokens: ${err.message.slice(0, 200)}` +
    (meta.length > 0 ? ` [${meta.join(", ")}]` : "") +
    causeText.slice(0, 200)
  );
}

const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

/**
 * Whether RSS stopped growing: the peak of the last third of the samples is within 10 % (and 16 MiB) of the peak of
 * the middle third. Undefined with fewer than six samples (too short to tell).
 */
export function rssPlateau(samples: readonly { rssBytes: number }[]): boolean | undefined {
  if (samples.length < 6) return undefined;
  const third = Math.floor(samples.length / 3);
  const peak = (xs: readonly { rssBytes: number }[]) => Math.max(...xs.map((s) => s.rssBytes));
  const middle = peak(samples.slice(third, 2 * third));
  const last = peak(samples.slice(2 * third));
  return last <= Math.max(middle * 1.1, middle + 16 * 2 ** 20);
}

/** The run as text: counts, errors by code, RSS and descriptors over time, the plateau verdict. */
export function formatSoak(r: SoakResult): string {
  const perToken = (cpu: number) => (r.verified > 0 ? ((cpu * 1e6) / r.verified).toFixed(1) : "-");
  const errs = Object.entries(r.errors).map(([k, v]) => `${k} ${v}`);
  const first = r.samples[0];
  const last = r.samples[r.samples.length - 1];
  const peak = Math.max(...r.samples.map((s) => s.rssBytes));
  const plateau = rssPlateau(r.samples);
  return [
    `soak: ${r.streams} streams in ${r.seconds.toFixed(1)} s (http ${r.perWire.http}, grpc ${r.perWire.connect}, mcp ${r.perWire.mcp})`,
    `  tokens verified per wire: http ${r.tokensPerWire.http}, grpc ${r.tokensPerWire.connect}, mcp ${r.tokensPerWire.mcp}`,
    `  client connections opened (reopened after a loss): ${CLIENT_KINDS.map((k) => {
      const c = r.connectionsPerWire[k];
      return `${k === "connect" ? "grpc" : k} ${c.opened ?? "-"}${c.reconnects !== undefined ? ` (${c.reconnects})` : ""}`;
    }).join(", ")}`,
    `  CPU: gateway ${r.gatewayCpuSeconds.toFixed(1)} s, soak clients ${r.clientCpuSeconds.toFixed(1)} s (${perToken(r.gatewayCpuSeconds)} + ${perToken(r.clientCpuSeconds)} µs per token)`,
    `  tokens verified ${r.verified}, lost ${r.lost}, duplicated ${r.duplicated}, out of order ${r.outOfOrder}, mismatched ${r.mismatched}; streams incomplete ${r.incomplete}`,
    `  errors by code: ${errs.length > 0 ? errs.join(", ") : "none"}`,
    ...r.errorExamples.map((x) => `    e.g. ${x}`),
    `  gateway RSS first ${mib(first?.rssBytes ?? 0)}, last ${mib(last?.rssBytes ?? 0)}, peak ${mib(peak)}; open fds first ${first?.fds}, last ${last?.fds}`,
    `  RSS plateau: ${plateau === undefined ? "too few samples to tell" : plateau ? "yes" : "NO (still growing)"}`,
    `  crashed: ${r.crashed ? "YES" : "no"}`,
  ].join("\n");
}

/** A run that lost, duplicated, reordered or garbled a token, left a stream short, or crashed. */
export function soakFailed(r: SoakResult): boolean {
  return r.crashed || r.lost + r.duplicated + r.outOfOrder + r.mismatched + r.incomplete > 0;
}
