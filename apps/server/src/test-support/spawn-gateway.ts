import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { GATEWAY_MAIN } from "../gateway-main.js";
import { parseReadyLine, type ReadyLine } from "../ready-line.js";

/** A gateway running as a child process (the real built binary). */
export interface SpawnedGateway {
  proc: ChildProcess;
  ready: ReadyLine;
  /** The URL of a protocol from the ready line (throws if absent). */
  url(protocol: string): string;
  /** Everything written to stdout so far (the ready line and nothing else, per the contract). */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code and signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends SIGKILL if still running (for afterEach). */
  kill(): Promise<void>;
}

/** Starts `node apps/server/dist/main.js ...args` and waits for its ready line (default 20 s). */
export async function spawnGateway(
  args: string[],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<SpawnedGateway> {
  if (!existsSync(GATEWAY_MAIN)) throw new Error(`${GATEWAY_MAIN} is missing: run npx turbo run build first`);
  const proc = spawn(process.execPath, [GATEWAY_MAIN, ...args], {
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  proc.stdout?.setEncoding("utf8").on("data", (d: string) => (out += d));
  proc.stderr?.setEncoding("utf8").on("data", (d: string) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const ready = await new Promise<ReadyLine>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`gateway not ready within ${options.timeoutMs ?? 20_000} ms; stderr:\n${err}`));
    }, options.timeoutMs ?? 20_000);
    const onData = () => {
      const nl = out.indexOf("\n");
      if (nl < 0) return;
      clearTimeout(timer);
      proc.stdout?.off("data", onData);
      try {
        resolve(parseReadyLine(out.slice(0, nl)));
      } catch (e) {
        reject(e);
      }
    };
    proc.stdout?.on("data", onData);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited (${code ?? signal}) before ready; stderr:\n${err}`));
    });
  });
  return {
    proc,
    ready,
    url(protocol) {
      const a = ready.addresses.find((x) => x.protocol === protocol);
      if (!a) throw new Error(`no ${protocol} address in ${JSON.stringify(ready)}`);
      return a.url;
    },
    stdout: () => out,
    stderr: () => err,
    exited,
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill("SIGKILL");
        await exited;
      }
    },
  };
}

/** Runs the binary to completion (for --help and bad options). */
export function runGateway(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const proc = spawn(process.execPath, [GATEWAY_MAIN, ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    proc.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    proc.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`gateway did not exit; stderr:\n${stderr}`));
    }, 20_000);
    proc.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
