import { describe, expect, it } from "vitest";
import { sourceMapProblems } from "./source-maps.mjs";

const map = (sources, extra = {}) => JSON.stringify({ version: 3, sources, mappings: "", ...extra });

function check(tree) {
  return sourceMapProblems(new Set(Object.keys(tree)), (p) => tree[p]);
}

describe("sourceMapProblems", () => {
  it("accepts maps whose sources ship", () => {
    expect(
      check({
        "dist/a.js": "",
        "dist/a.js.map": map(["../src/a.ts"]),
        "dist/sub/b.d.ts.map": map(["../../src/sub/b.ts"]),
        "src/a.ts": "",
        "src/sub/b.ts": "",
      }),
    ).toEqual([]);
  });

  it("names a map whose source does not ship", () => {
    expect(check({ "dist/a.js.map": map(["../src/a.ts"]) })).toEqual([
      'dist/a.js.map: source "../src/a.ts" is src/a.ts, which the package does not ship (nor inline)',
    ]);
  });

  it("accepts an unshipped source whose content the map inlines, and honours sourceRoot", () => {
    expect(check({ "dist/a.js.map": map(["../src/a.ts"], { sourcesContent: ["export {}"] }) })).toEqual([]);
    expect(check({ "dist/a.js.map": map(["a.ts"], { sourceRoot: "../src" }), "src/a.ts": "" })).toEqual([]);
  });

  it("names shipped tests, test support and sources no map refers to", () => {
    expect(
      check({
        "src/a.test.ts": "",
        "src/test-support/harness.ts": "",
        "src/bench/run.ts": "",
        "dist/a.d.ts": "",
      }),
    ).toEqual([
      "src/a.test.ts: a test file ships",
      "src/test-support/harness.ts: a test file ships",
      "src/bench/run.ts: ships, but no source map refers to it (a bench, test or stale file?)",
    ]);
  });

  it("names a map that is not JSON or has no sources", () => {
    const problems = check({ "dist/a.js.map": "{", "dist/b.js.map": "{}" });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^dist\/a\.js\.map: not a JSON source map/);
    expect(problems[1]).toBe('dist/b.js.map: has no "sources" array');
  });
});
