import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

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

/** A headless Chromium showing one page, from {@link openInChromium}. */
export interface ChromiumPage {
  /** Ends the browser (its process group) and removes its profile directory. */
  close(): Promise<void>;
  /** Settles when the browser exits (rejects when it exits before `close()`, with its stderr's tail). */
  readonly exited: Promise<void>;
}

/**
 * Opens `url` in headless Chromium with a profile of its own (so runs never share state) and leaves it running
 * until `close()`: the page reports back by itself (for example by posting to the server that served it). `args`
 * are extra switches, e.g. `--host-resolver-rules=MAP app.test 127.0.0.1` to serve a page from another origin.
 */
export async function openInChromium(
  url: string,
  args: readonly string[] = [],
  path = CHROMIUM,
): Promise<ChromiumPage> {
  const profile = await mkdtemp(join(tmpdir(), "modelwire-chromium-"));
  const child = spawn(
    path,
    [
      "--headless=new",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--no-first-run",
      "--no-default-browser-check",
      `--user-data-dir=${profile}`,
      ...args,
      url,
    ],
    // Its own process group, so close() ends the renderers and helpers with it.
    { stdio: ["ignore", "ignore", "pipe"], detached: true },
  );
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  let closing = false;
  const exited = new Promise<void>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      if (closing) resolve();
      else reject(new Error(`chromium exited early (code ${code}, signal ${signal}): ${stderr}`));
    });
  });
  exited.catch(() => {}); // observed by whoever awaits it
  return {
    exited,
    async close() {
      closing = true;
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          child.kill("SIGKILL");
        }
      }
      await exited.catch(() => {});
      await rm(profile, { recursive: true, force: true });
    },
  };
}
