/// <reference types="vite/client" />
import { describe, expect, it } from "vitest";

/**
 * The package promises to run in any JavaScript runtime: no `node:` imports and no Node globals in its sources
 * (the runtime's `Buffer` is only looked up on `globalThis`, in internal/native.ts). The sources are read through
 * vite's `import.meta.glob`, so this test needs no `node:fs` either.
 */
const sources = import.meta.glob<string>(["./**/*.ts", "!./**/*.test.ts", "!./test-support/**"], {
  query: "?raw",
  import: "default",
  eager: true,
});

/** The code of a module without its comments (TSDoc names `Buffer` when it explains the native paths). */
const code = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");

describe("mcp-codec sources", () => {
  it("are found (the check reads something)", () => {
    expect(Object.keys(sources)).toContain("./internal/open-frame.ts");
    expect(Object.keys(sources)).toContain("./frame.ts");
  });

  it.each(Object.keys(sources))("%s imports no node: module and uses no Node global", (path) => {
    const c = code(sources[path]);
    expect(c).not.toMatch(/from\s+["']node:|import\(\s*["']node:|require\(/);
    expect(c).not.toMatch(/(^|[^.\w])(Buffer|process|global|setImmediate)\s*[.(]/m);
  });
});
