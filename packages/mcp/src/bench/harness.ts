/**
 * The two-process harness the package benchmarks share (run.ts, h2-carrier.ts): a server child started over IPC
 * (pinned to core 0 with `taskset` when it exists) while the client re-runs itself pinned to core 1, a window
 * measurement charging both processes' CPU to the requests completed, and the median of rounds.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/** Whether `taskset` works here (then server and client are pinned to cores 0 and 1). */
export const hasTaskset = spawnSync("taskset", ["-c", "0", "true"]).status === 0;

/** Running from sources through tsx (`.ts`) rather than compiled (dist-bench). */
const TSX = import.meta.url.endsWith(".ts");
const PROF = process.env.BENCH_PROF;

/** Node arguments for a sibling script of this folder (`name` without extension), with `--cpu-prof` if asked. */
export function nodeArgs(name: string): string[] {
  const script = fileURLToPath(new URL(name + (TSX ? ".ts" : ".js"), import.meta.url));
  return [...(PROF ? ["--cpu-prof", `--cpu-prof-dir=${PROF}`] : []), ...(TSX ? ["--import", "tsx"] : []), script];
}

/** Re-runs the client script `name` pinned to core 1 (the server child gets core 0); resolves with its exit code. */
export function pinSelf(name: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn("taskset", ["-c", "1", process.execPath, ...nodeArgs(name)], {
      stdio: "inherit",
      env: { ...process.env, BENCH_PINNED: "1" },
    });
    child.on("exit", (code) => resolve(code ?? 1));
  });
}

/** True when this process should re-run itself pinned (see {@link pinSelf}) instead of measuring. */
export const shouldPinSelf = hasTaskset && !process.env.BENCH_PINNED;

/** The server child and its IPC request/answer channel (answers are keyed by `cmd`, `cpu` answers by id). */
export class ServerChild {
  private waiters = new Map<string, (m: Record<string, unknown>) => void>();
  private seq = 0;
  constructor(readonly child: ChildProcess) {
    child.on("message", (m: Record<string, unknown>) => {
      const key = m.cmd === "cpu" ? `cpu:${m.id}` : String(m.cmd);
      const w = this.waiters.get(key);
      this.waiters.delete(key);
      w?.(m);
    });
  }
  /** Sends `msg` (except `ready`, which the child sends unasked) and waits up to 30 s for its answer. */
  request(msg: Record<string, unknown>, key = String(msg.cmd)): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server child did not answer ${key}`)), 30_000);
      this.waiters.set(key, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      if (msg.cmd !== "ready") this.child.send(msg);
    });
  }
  /** The child's CPU time so far (user + system), µs. */
  async cpuUs(): Promise<number> {
    const id = ++this.seq;
    return (await this.request({ cmd: "cpu", id }, `cpu:${id}`)).us as number;
  }
}

/** Starts the server script `name` of this folder as an IPC child, pinned to core 0 when `taskset` exists. */
export function startServerChild(name: string): ServerChild {
  const args = nodeArgs(name);
  const stdio: ["ignore", "inherit", "inherit", "ipc"] = ["ignore", "inherit", "inherit", "ipc"];
  const child = hasTaskset
    ? spawn("taskset", ["-c", "0", process.execPath, ...args], { stdio })
    : spawn(process.execPath, args, { stdio });
  return new ServerChild(child);
}

/** One measured window, per request: rate, both processes' CPU and the client's bytes out and in. */
export interface Figure {
  rps: number;
  serverUs: number;
  clientUs: number;
  bytesOut: number;
  bytesIn: number;
}

/**
 * Runs `run(warmMs)` to warm up, then measures `run(ms)` (which returns the requests it completed), charging the
 * server child's and this process's CPU and the byte counters `bytes()` ([out, in]) to those requests.
 */
export async function measureWindow(
  server: ServerChild,
  run: (ms: number) => Promise<number>,
  bytes: () => readonly [number, number],
  ms: number,
  warmMs: number,
): Promise<Figure> {
  await run(warmMs);
  const s0 = await server.cpuUs();
  const b0 = bytes();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const n = await run(ms);
  const secs = (performance.now() - t0) / 1000;
  const c1 = process.cpuUsage(c0);
  const b1 = bytes();
  const s1 = await server.cpuUs();
  return {
    rps: n / secs,
    serverUs: (s1 - s0) / n,
    clientUs: (c1.user + c1.system) / n,
    bytesOut: (b1[0] - b0[0]) / n,
    bytesIn: (b1[1] - b0[1]) / n,
  };
}

/** The median of `xs` (NaN for none). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
