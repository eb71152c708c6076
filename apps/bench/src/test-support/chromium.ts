import { execFile } from "node:child_process";
import { existsSync } from "node:fs";

/** Debian's chromium binary. */
export const CHROMIUM = "/usr/bin/chromium";

/** Whether `env` says this is CI (`CI` set to anything but `false` or `0`), as `.ci/run`'s `CI=true` does. */
export function isCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.CI?.trim().toLowerCase();
  return v !== undefined && v !== "" && v !== "false" && v !== "0";
}

/**
 * Call first in a test that needs headless Chromium. Returns when it is there. When it is missing, the test is
 * skipped with the reason (vitest reports it as skipped, with the note) — except in CI, where it fails: `.ci/run`
 * installs Debian's chromium, and a check that quietly skips in CI would hide a broken install.
 */
export function requireChromium(
  ctx: { skip(note?: string): never },
  path = CHROMIUM,
  env: NodeJS.ProcessEnv = process.env,
): void {
  if (existsSync(path)) return;
  const why = `${path} is absent (apt-get install -y chromium)`;
  if (isCi(env)) throw new Error(`headless Chromium is required in CI (CI=${env.CI}): ${why}`);
  ctx.skip(`no headless Chromium: ${why}`);
}

/** Loads a local file in headless Chromium and returns the DOM after its scripts ran. */
export function dumpDom(path: string, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      CHROMIUM,
      [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--dump-dom",
        `file://${path}`,
      ],
      { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout) => (err ? reject(err) : resolve(stdout)),
    );
  });
}
