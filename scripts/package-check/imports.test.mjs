import { describe, expect, it } from "vitest";
import { importProblems, importSpecifiers, packageOf } from "./imports.mjs";

describe("importSpecifiers", () => {
  it("finds static, re-export, side-effect, dynamic and require specifiers, not those in comments or strings", () => {
    const js = [
      'import { a } from "alpha";',
      "import {",
      "  b,",
      '} from "./beta.js";',
      'export * from "@scope/gamma/sub";',
      'export { d } from "delta";',
      'import "side-effect";',
      'const e = await import("epsilon");',
      'const f = require("zeta");',
      '/** import { x } from "in-a-comment"; */',
      '// import "line-comment";',
      'spawn(process.execPath, ["--import", "tsx", script]);',
      'console.log("imported from \\"quoted\\"");',
    ].join("\n");
    expect(importSpecifiers(js).sort()).toEqual(
      ["./beta.js", "@scope/gamma/sub", "alpha", "delta", "epsilon", "side-effect", "zeta"].sort(),
    );
  });

  it("names the package of a specifier", () => {
    expect(packageOf("@scope/name/sub/path")).toBe("@scope/name");
    expect(packageOf("name/sub")).toBe("name");
    expect(packageOf("name")).toBe("name");
  });
});

describe("importProblems", () => {
  const manifest = {
    name: "@x/pkg",
    dependencies: { dep: "1" },
    peerDependencies: { peer: "1" },
    optionalDependencies: { opt: "1" },
    devDependencies: { devonly: "1" },
  };
  const check = (tree) => importProblems(manifest, new Set(Object.keys(tree)), (p) => tree[p]);

  it("accepts built-ins, itself, declared dependencies and shipped relative files", () => {
    expect(
      check({
        "dist/index.js": [
          'import "node:fs";',
          'import { join } from "path";',
          'import { a } from "@x/pkg/sub";',
          'import "dep";',
          'import "peer/x";',
          'import "opt";',
          'export * from "./b.js";',
        ].join("\n"),
        "dist/b.js": "",
        "dist/index.d.ts": 'export * from "./b.js";\nexport type T = import("dep").T;',
        "dist/b.d.ts": "",
      }),
    ).toEqual([]);
  });

  it("names devDependencies, undeclared packages and relative files that do not ship", () => {
    expect(
      check({
        "dist/bench/run.js": 'import { Bench } from "devonly";\nimport "hoisted-only";',
        "dist/index.d.ts": 'export * from "./missing.js";',
        "src/index.ts": 'import "devonly";',
      }),
    ).toEqual([
      'dist/bench/run.js: imports "devonly", but devonly is only a devDependency of @x/pkg',
      'dist/bench/run.js: imports "hoisted-only", but hoisted-only is not a dependency of @x/pkg',
      'dist/index.d.ts: imports "./missing.js", but dist/missing.d.ts does not ship',
    ]);
  });
});
