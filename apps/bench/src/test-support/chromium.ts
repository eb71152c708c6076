import { execFile } from "node:child_process";
import { existsSync } from "node:fs";

/** Debian's chromium binary. */
export const CHROMIUM = "/usr/bin/chromium";

/** Whether headless Chromium is available; prints why not when it is absent. */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  console.log(`skipping the headless Chromium check: ${CHROMIUM} is absent (apt-get install -y chromium)`);
  return false;
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
