import { vi } from "vitest";
import { runBenchCli } from "../cli.js";

/** Runs `modelwire bench` in-process with stdout and stderr captured. */
export async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((c) => {
    stdout += String(c);
    return true;
  });
  const err = vi.spyOn(process.stderr, "write").mockImplementation((c) => {
    stderr += String(c);
    return true;
  });
  try {
    const code = await runBenchCli(args);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/** Short windows for tests. */
export const QUICK = ["--duration", "400ms", "--warmup", "100ms", "--repeats", "1", "--quiet"];
