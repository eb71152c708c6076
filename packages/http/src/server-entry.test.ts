import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const pkg = fileURLToPath(new URL("..", import.meta.url));
const built =
  existsSync(`${pkg}dist/server-entry.js`) &&
  existsSync(`${pkg}dist/index.js`) &&
  existsSync(`${pkg}dist/openai/index.js`);

/** Bare specifiers a fresh Node process resolves while importing `entry` (a resolve hook records them). */
function loadedPackages(entry: string): string[] {
  const hook = `export async function resolve(s, c, next) { if (!s.startsWith(".") && !s.startsWith("node:") && !s.startsWith("file:")) process.stderr.write("RESOLVE " + s + "\\n"); return next(s, c); }`;
  const script = `import { register } from "node:module"; register("data:text/javascript,${encodeURIComponent(hook)}"); await import(${JSON.stringify(entry)});`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd: pkg, encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return [...r.stderr.matchAll(/^RESOLVE (\S+)$/gm)].map((m) => m[1]);
}

describe.skipIf(!built)("@modelwire/http/server entry (built dist)", () => {
  it("loads the server (Ollama and OpenAI routes) without undici or the SSE parser; the clients' entries load them", () => {
    const server = loadedPackages("@modelwire/http/server");
    expect(server).toContain("@modelwire/core");
    expect(server.filter((s) => s.startsWith("undici") || s.startsWith("eventsource-parser"))).toEqual([]);
    expect(loadedPackages("@modelwire/http")).toContain("undici");
    const openai = loadedPackages("@modelwire/http/openai");
    expect(openai).toContain("undici");
    expect(openai).toContain("eventsource-parser");
  });
});
