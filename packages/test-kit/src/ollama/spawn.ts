import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { OllamaStandInOptions } from "./standin.js";

/** A stand-in Ollama running in its own process. */
export interface SpawnedStandIn {
  /** `http://HOST:PORT`. */
  readonly url: string;
  readonly pid: number;
  /** SIGTERM, then SIGKILL after 3 s. */
  close(): Promise<void>;
}

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));

/** The command-line flags for `options` (what {@link spawnOllamaStandIn} passes to `main.ts`). */
export function standInArgs(options: OllamaStandInOptions): string[] {
  const flags: Array<[string, unknown]> = [
    ["--host", options.host],
    ["--port", options.port],
    ["--models", options.models?.join(",")],
    ["--ttft-ms", options.ttftMs],
    ["--inter-token-ms", options.interTokenMs],
    ["--tokens-per-chunk", options.tokensPerChunk],
    ["--tokens", options.defaultTokens],
    ["--load-ms", options.loadMs],
    ["--parallel", Number.isFinite(options.parallel) ? options.parallel : undefined],
    ["--corrupt-request", options.corruptRequest],
    ["--version", options.version],
    ["--stall-after", options.stallAfter],
  ];
  return flags.filter(([, v]) => v !== undefined).flatMap(([f, v]) => [f, String(v)]);
}

/**
 * Starts the stand-in Ollama as a separate node process (TypeScript through tsx) and resolves once its ready line
 * arrived: for tests that must not share an event loop with the server they measure.
 */
export async function spawnOllamaStandIn(options: OllamaStandInOptions = {}): Promise<SpawnedStandIn> {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", MAIN, ...standInArgs(options)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString("utf8")).slice(-2000);
  });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`stand-in printed no ready line in 20 s; stderr: ${stderr}`));
    }, 20_000);
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString("utf8");
      const nl = out.indexOf("\n");
      if (nl < 0) return;
      clearTimeout(timer);
      try {
        resolve((JSON.parse(out.slice(0, nl)) as { url: string }).url);
      } catch {
        reject(new Error(`stand-in: bad ready line ${out.slice(0, 200)}`));
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`stand-in exited before it was ready; stderr: ${stderr}`));
    });
  });
  return {
    url,
    pid: child.pid ?? 0,
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(t);
    },
  };
}
