import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { nodeArgsFor } from "./server-process.js";

/** How load-generator workers run: threads of this process, or processes of their own (`--worker-mode`). */
export type WorkerMode = "thread" | "process";

/** What a load worker is started with (`workerData` for a thread, an environment variable for a process). */
export interface LoadWorkerData {
  transport: string;
  endpoint: unknown;
  connections?: number;
}

/** The environment variable a worker process reads its {@link LoadWorkerData} from. */
export const WORKER_DATA_ENV = "MODELWIRE_LOAD_WORKER";

/** A running load worker, thread or process alike: messages both ways, failure, exit. */
export interface WorkerChannel {
  readonly mode: WorkerMode;
  post(message: unknown): void;
  /** Subscribes to messages; returns the unsubscribe. */
  onMessage(f: (message: unknown) => void): () => void;
  /** Subscribes to failures (a thread's uncaught error, a process that could not start or died); returns the unsubscribe. */
  onError(f: (error: Error) => void): () => void;
  /** Resolves when the worker has exited. */
  readonly exited: Promise<void>;
  /** Stops it at once. */
  kill(): void;
}

const WORKER_URL = new URL(`./load-worker.${import.meta.url.endsWith(".ts") ? "ts" : "js"}`, import.meta.url);

/**
 * Parses a `taskset -c` CPU list ("0", "0-3", "1,3,5-6") into CPU numbers, in order, each once. Undefined when
 * malformed (or over 1024 CPUs).
 */
export function parseCpuList(text: string): number[] | undefined {
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(text)) return undefined;
  const out: number[] = [];
  for (const part of text.split(",")) {
    const [a, b = a] = part.split("-").map(Number);
    if (b < a || b > 1023) return undefined;
    for (let c = a; c <= b; c++) if (!out.includes(c)) out.push(c);
  }
  return out;
}

/** Failure listeners that also hear a failure that came before they subscribed (a worker that died between windows). */
function stickyErrors(): { fail(e: Error): void; on(f: (e: Error) => void): () => void } {
  const listeners = new Set<(e: Error) => void>();
  let failed: Error | undefined;
  return {
    fail(e) {
      failed ??= e;
      for (const f of [...listeners]) f(e);
    },
    on(f) {
      listeners.add(f);
      if (failed) {
        const e = failed;
        queueMicrotask(() => listeners.has(f) && f(e));
      }
      return () => listeners.delete(f);
    },
  };
}

/** tsx's loader API, registered by a worker started from the TypeScript sources. */
const TSX_LOADER = "tsx/esm/api";

function threadWorker(data: LoadWorkerData): WorkerChannel {
  // From TypeScript sources (tests) the worker registers tsx's loader before importing the worker module. tsx is a
  // dev dependency of the repository, never loaded by the built package: the specifier stays out of its imports.
  const w = import.meta.url.endsWith(".ts")
    ? new Worker(
        `import(${JSON.stringify(TSX_LOADER)}).then((m) => { m.register(); return import(${JSON.stringify(WORKER_URL.href)}); });`,
        { eval: true, workerData: data },
      )
    : new Worker(WORKER_URL, { workerData: data });
  const errors = stickyErrors();
  w.on("error", (e) => errors.fail(e));
  const exited = new Promise<void>((r) => w.once("exit", () => r()));
  return {
    mode: "thread",
    post: (m) => w.postMessage(m),
    onMessage(f) {
      w.on("message", f);
      return () => w.off("message", f);
    },
    onError: (f) => errors.on(f),
    exited,
    kill: () => void w.terminate(),
  };
}

function processWorker(data: LoadWorkerData, cpu: number | undefined): WorkerChannel {
  const argv = [...nodeArgsFor(import.meta.url), fileURLToPath(WORKER_URL)];
  const cmd = cpu !== undefined ? "taskset" : process.execPath;
  const args = cpu !== undefined ? ["-c", String(cpu), process.execPath, ...argv] : argv;
  // taskset execs node in place, so the IPC channel (fd and environment) reaches it unchanged.
  const child: ChildProcess = spawn(cmd, args, {
    stdio: ["ignore", "ignore", "pipe", "ipc"],
    serialization: "advanced",
    env: { ...process.env, [WORKER_DATA_ENV]: JSON.stringify(data) },
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString("utf8")).slice(-2000);
  });
  const errors = stickyErrors();
  let closing = false;
  let exit: () => void = () => {};
  const exited = new Promise<void>((r) => {
    exit = r;
  });
  child.once("error", (e) => {
    errors.fail(new Error(`worker process did not start (${cmd}): ${(e as NodeJS.ErrnoException).code ?? e.message}`));
    if (child.pid === undefined) exit();
  });
  child.once("exit", (code, signal) => {
    if (!closing)
      errors.fail(
        new Error(
          `worker process ${child.pid} exited (${signal ?? `code ${code}`})${stderr ? `: ${stderr.trim().split("\n").slice(-3).join(" / ")}` : ""}`,
        ),
      );
    exit();
  });
  return {
    mode: "process",
    post(m) {
      if ((m as { close?: boolean }).close) closing = true;
      // A send that fails (EPIPE: the process died, e.g. taskset refused its CPU) is not a second error: the exit
      // handler reports why the process is gone.
      if (child.connected) child.send(m as never, () => {});
      else if (!closing) errors.fail(new Error(`worker process ${child.pid} is gone (IPC channel closed)`));
    },
    onMessage(f) {
      child.on("message", f);
      return () => child.off("message", f);
    },
    onError: (f) => errors.on(f),
    exited,
    kill() {
      closing = true;
      child.kill("SIGKILL");
    },
  };
}

/**
 * Starts one load worker: a thread, or a process (pinned to `cpu` with `taskset -c` when given). A process worker's
 * CPU is its own, not this process's: it reports it with each window.
 */
export function spawnLoadWorker(mode: WorkerMode, data: LoadWorkerData, cpu?: number): WorkerChannel {
  return mode === "process" ? processWorker(data, cpu) : threadWorker(data);
}

/** The worker lines of `modelwire bench --help`. */
export const WORKER_HELP = `  --workers N            load-generator workers per transport (default 1; use when the generator is the
                         bottleneck — each worker runs its share with its own client; no --jsonl with workers)
  --worker-mode MODE     thread (default) or process: each worker in a node process of its own (own heap, own
                         garbage collector, its CPU measured by itself)
  --client-cpus LIST     pin worker processes with taskset, one CPU each round-robin (e.g. 2-5); needs
                         --worker-mode process`;

/**
 * Reads `--worker-mode` and `--client-cpus`. `fail` throws the CLI's usage error. `--client-cpus` pins processes
 * only (a thread cannot be pinned apart from its process: pin the whole command with taskset instead).
 */
export function parseWorkerFlags(
  v: { "worker-mode"?: string; "client-cpus"?: string; jsonl?: string },
  workers: number,
  fail: (message: string) => never,
): { workerMode?: WorkerMode; clientCpus?: number[] } {
  const mode = v["worker-mode"];
  if (mode !== undefined && mode !== "thread" && mode !== "process")
    fail(`--worker-mode must be thread or process, got "${mode}"`);
  if ((workers > 1 || mode === "process") && v.jsonl)
    fail("--jsonl needs the in-process generator (--workers 1, no --worker-mode process)");
  const out: { workerMode?: WorkerMode; clientCpus?: number[] } = mode ? { workerMode: mode } : {};
  if (v["client-cpus"] !== undefined) {
    if (mode !== "process")
      fail("--client-cpus pins worker processes: add --worker-mode process (or run the command under taskset)");
    const cpus = parseCpuList(v["client-cpus"]);
    if (!cpus) fail(`--client-cpus takes a CPU list like 2 or 2-5 or 1,3, got "${v["client-cpus"]}"`);
    out.clientCpus = cpus;
  }
  return out;
}
