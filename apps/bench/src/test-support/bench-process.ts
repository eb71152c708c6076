import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("./bench-main.ts", import.meta.url));

/** What a bench process left: its exit code and the tail of its output. */
export interface BenchProcessResult {
  code: number | null;
  output: string;
}

/**
 * Runs `modelwire bench ARGS` as a separate node process (from the sources, through tsx), optionally inside a
 * network namespace (`prefix`, e.g. `ip netns exec NAME`). Killed after `timeoutMs`.
 */
export function runBenchProcess(
  args: string[],
  opts: { prefix?: string[]; timeoutMs?: number } = {},
): Promise<BenchProcessResult> {
  const argv = [process.execPath, "--import", "tsx", MAIN, ...args];
  const [cmd, ...rest] = [...(opts.prefix ?? []), ...argv];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, rest, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const keep = (d: Buffer) => {
      output = (output + d.toString("utf8")).slice(-8000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
