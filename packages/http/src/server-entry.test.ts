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

/**
 * This package's `dist/openai/*.js` modules a fresh Node process has loaded after importing the server entry, and
 * after one `GET /v1/models` to a server on the synthetic engine (a load hook records them).
 */
function openaiModulesLoaded(): { atImport: string[]; afterCall: string[] } {
  const hook = `export async function load(u, c, next) { const m = /\\/dist\\/openai\\/([\\w-]+\\.js)$/.exec(u); if (m) process.stderr.write("LOAD " + m[1] + "\\n"); return next(u, c); }`;
  const script = `import { register } from "node:module"; register("data:text/javascript,${encodeURIComponent(hook)}");
const { createOllamaServer } = await import("@modelwire/http/server");
const { createSyntheticEngine } = await import("@modelwire/engine");
process.stderr.write("IMPORTED\\n");
const server = createOllamaServer({ engine: createSyntheticEngine() });
const [a] = await server.listen();
const r = await fetch(a.url + "/v1/models");
process.stderr.write("STATUS " + r.status + " " + (await r.json()).object + "\\n");
await server.close({ graceMs: 0 });`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd: pkg, encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stderr).toContain("STATUS 200 list");
  const [before, after] = r.stderr.split("IMPORTED\n");
  const names = (s: string) => [...s.matchAll(/^LOAD (\S+)$/gm)].map((m) => m[1]);
  return { atImport: names(before), afterCall: names(after) };
}

describe.skipIf(!built)("the OpenAI routes (built dist)", () => {
  it("load their handlers, request readers, reply encoders and SSE framing on the first /v1/ call, not at import", () => {
    const { atImport, afterCall } = openaiModulesLoaded();
    expect(atImport).toContain("routes.js");
    expect(atImport).toContain("errors.js");
    const lazy = ["handlers.js", "request.js", "request-messages.js", "reply.js", "sse.js"];
    expect(atImport.filter((m) => lazy.includes(m))).toEqual([]);
    expect(lazy.filter((m) => !afterCall.includes(m))).toEqual([]);
  });
});
