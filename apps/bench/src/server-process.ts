import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import {
  Code,
  clampTimerMs,
  type ListenAddress,
  ModelwireError,
  type ServerStats,
  setLongTimeout,
} from "@modelwire/core";
import { request } from "undici";

/** Synthetic engine knobs set through `POST /control/engine`. */
export interface EngineKnobs {
  ttftMs?: number;
  interTokenMs?: number;
  tokens?: number;
  jitter?: number;
  seed?: number;
}

/** The `/control/stats` fields the bench reads (the gateway contract; references serve the same subset). */
export interface ProcessStats {
  pid: number;
  cpu: { userMicros: number; systemMicros: number };
  rssBytes: number;
  maxRssBytes: number;
  engine?: { requests: number; tokens: number };
  servers: Record<string, ServerStats>;
  /** A gateway in front of a fleet: each upstream's counters in its stats window (`--upstream` repeated). */
  fleet?: { upstreams: Array<{ url: string; requests: number; started: number }> };
}

/** A server under test running in its own process (the gateway, or a reference server). */
export interface ServerProcess {
  /** `"gateway"`, `"grpc-js"` or `"echo"`. */
  readonly name: string;
  readonly pid: number;
  /** From the ready line: process start to every listener bound, ms. */
  readonly startupMs: number;
  /** Bound addresses from the ready line. */
  readonly addresses: readonly ListenAddress[];
  /** Reads `/control/stats`. */
  stats(): Promise<ProcessStats>;
  /** Reconfigures the synthetic engine for calls that start afterwards. */
  configureEngine(knobs: EngineKnobs): Promise<void>;
  /** Stops the process (SIGTERM, then SIGKILL after `graceMs`). */
  close(graceMs?: number): Promise<void>;
}

/** How to start a server process. */
export interface SpawnOptions {
  name: string;
  /** The node script and its arguments. */
  script: string;
  args: string[];
  /** Extra node flags (e.g. `--import tsx` for a TypeScript entry). */
  nodeArgs?: string[];
  /** `taskset -c` CPU list to pin the process to (e.g. `"1"`), when taskset exists. */
  cpus?: string;
  /** How long to wait for the ready line. Default 20 s. */
  readyTimeoutMs?: number;
  /** Extra environment. */
  env?: Record<string, string>;
}

const MAX_READY_LINE = 64 * 1024;

/**
 * Spawns a server whose stdout's first line is the ready line
 * `{"event":"ready","pid","startupMs","addresses":[...]}` and whose admin address (protocol `"admin"`) serves
 * `/control/stats` and `/control/engine`. Fails with `Unavailable` when the process exits or stays silent.
 */
export async function spawnServerProcess(o: SpawnOptions): Promise<ServerProcess> {
  const argv = [...(o.nodeArgs ?? []), o.script, ...o.args];
  const cmd = o.cpus ? "taskset" : process.execPath;
  const args = o.cpus ? ["-c", o.cpus, process.execPath, ...argv] : argv;
  const child: ChildProcess = spawn(cmd, args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...o.env },
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString("utf8")).slice(-4000);
  });
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const ready = await new Promise<{ pid: number; startupMs: number; addresses: ListenAddress[] }>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    const timer = setTimeout(
      () => {
        child.kill("SIGKILL");
        reject(
          new ModelwireError(`${o.name} printed no ready line within the timeout; stderr: ${stderr}`, Code.Unavailable),
        );
      },
      clampTimerMs(o.readyTimeoutMs ?? 20_000),
    );
    rl.once("line", (line) => {
      clearTimeout(timer);
      try {
        if (line.length > MAX_READY_LINE) throw new Error("ready line too long");
        const v = JSON.parse(line) as { event?: string; pid?: number; startupMs?: number; addresses?: ListenAddress[] };
        if (v.event !== "ready" || typeof v.startupMs !== "number" || !Array.isArray(v.addresses))
          throw new Error("not a ready line");
        resolve({ pid: v.pid ?? child.pid ?? 0, startupMs: v.startupMs, addresses: v.addresses });
      } catch (e) {
        child.kill("SIGKILL");
        reject(
          new ModelwireError(
            `${o.name}: bad ready line "${line.slice(0, 200)}": ${(e as Error).message}`,
            Code.Unavailable,
          ),
        );
      }
      // Drain the rest of stdout so the child never blocks on a full pipe.
      child.stdout?.resume();
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new ModelwireError(`${o.name} exited (${code}) before it was ready; stderr: ${stderr}`, Code.Unavailable));
    });
  });
  const admin = ready.addresses.find((a) => a.protocol === "admin");
  if (!admin) {
    child.kill("SIGKILL");
    throw new ModelwireError(`${o.name} has no admin address`, Code.Unavailable);
  }
  const base = admin.url.replace(/\/$/, "");
  const call = async (method: "GET" | "POST", path: string, body?: unknown) => {
    const res = await request(`${base}${path}`, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
      headers: body === undefined ? {} : { "content-type": "application/json" },
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    const text = await res.body.text();
    if (res.statusCode >= 300) {
      throw new ModelwireError(
        `${o.name} ${method} ${path}: HTTP ${res.statusCode} ${text.slice(0, 300)}`,
        Code.FailedPrecondition,
      );
    }
    return text;
  };
  return {
    name: o.name,
    pid: ready.pid,
    startupMs: ready.startupMs,
    addresses: ready.addresses,
    stats: async () => JSON.parse(await call("GET", "/control/stats")) as ProcessStats,
    configureEngine: async (knobs) => {
      await call("POST", "/control/engine", knobs);
    },
    async close(graceMs = 3000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const t = setLongTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      t.clear();
    },
  };
}

/** Node flags to run a sibling module: `--import tsx` when running from TypeScript sources (tests). */
export function nodeArgsFor(moduleUrl: string): string[] {
  return moduleUrl.endsWith(".ts") ? ["--import", "tsx"] : [];
}

/**
 * The flags that put each gateway listener on a free port (`FREE_PORT_ARGS` of @modelwire/server), loaded with the
 * server package only when a gateway is spawned.
 */
export async function freePortArgs(): Promise<readonly string[]> {
  return (await import("@modelwire/server")).FREE_PORT_ARGS;
}
