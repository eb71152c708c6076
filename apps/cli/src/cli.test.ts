import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/** The committed bin npm links as `modelwire`; it loads the built dist/cli.js. */
const BIN = fileURLToPath(new URL("../bin/modelwire.js", import.meta.url));
const BUILT = fileURLToPath(new URL("../dist/cli.js", import.meta.url));

/** Runs a `modelwire` bin (the committed one by default); `onFirstLine` may signal it once stdout has a line. */
function run(args: string[], onFirstLine?: (line: string, kill: (s: NodeJS.Signals) => void) => void, bin = BIN) {
  if (bin === BIN && !existsSync(BUILT)) throw new Error(`${BUILT} is missing: run npx turbo run build first`);
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const proc = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let told = false;
    proc.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
      if (!told && onFirstLine && stdout.includes("\n")) {
        told = true;
        onFirstLine(stdout.slice(0, stdout.indexOf("\n")), (s) => proc.kill(s));
      }
    });
    proc.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`modelwire ${args.join(" ")} did not exit; stderr: ${stderr}`));
    }, 20_000);
    proc.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe("the modelwire bin", () => {
  it("is a committed, executable file with a node shebang, named as the package's bin", () => {
    expect(readFileSync(BIN, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
    expect(statSync(BIN).mode & 0o111).not.toBe(0);
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
    expect(pkg.bin).toEqual({ modelwire: "./bin/modelwire.js" });
    expect(pkg.files).toContain("bin");
  });

  it("before the build, says which command builds it and exits 1", async () => {
    const dir = mkdtempSync(join(tmpdir(), "modelwire-unbuilt-"));
    try {
      mkdirSync(join(dir, "bin"));
      copyFileSync(BIN, join(dir, "bin", "modelwire.js"));
      const r = await run(["--help"], undefined, join(dir, "bin", "modelwire.js"));
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain("not built yet");
      expect(r.stderr).toContain("npm run build");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("--help lists both commands; no command is a usage error", async () => {
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^\s+serve\s/m);
    expect(help.stdout).toMatch(/^\s+bench\s/m);
    const none = await run([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("Usage: modelwire");
    const unknown = await run(["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
  });

  it("serve --help documents every serve option; a bad option exits 2 naming it", async () => {
    const help = await run(["serve", "--help"]);
    expect(help.code).toBe(0);
    for (const flag of [
      "--http-port",
      "--connect-port",
      "--mcp-port",
      "--mcp-socket",
      "--admin-port",
      "--upstream",
      "--max-streams",
      "--auth-token",
      "--grace-ms",
      "--config",
    ]) {
      expect(help.stdout).toContain(flag);
    }
    expect((await run(["help", "serve"])).stdout).toBe(help.stdout);
    const bad = await run(["serve", "--grace-ms", "soon"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--grace-ms");
  });

  it("bench --help reaches the bench app", async () => {
    const help = await run(["bench", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: modelwire bench");
  });

  it("serve runs the gateway: one ready line, then SIGTERM exits 0", async () => {
    let ready: { event?: string; addresses?: { protocol: string }[] } = {};
    const r = await run(
      ["serve", "--http-port", "0", "--connect-port", "0", "--mcp-port", "0", "--admin-port", "0"],
      (line, kill) => {
        ready = JSON.parse(line);
        kill("SIGTERM");
      },
    );
    expect(ready.event).toBe("ready");
    expect(ready.addresses?.some((a) => a.protocol === "admin")).toBe(true);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n")).toHaveLength(1);
  });
});
