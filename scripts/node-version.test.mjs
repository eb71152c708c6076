import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { nodeVersionProblems, parseVersion, satisfiesPin } from "./node-version.mjs";

describe("parseVersion and satisfiesPin", () => {
  it("parses the forms .nvmrc and process.version use", () => {
    expect(parseVersion("20")).toEqual([20, 0, 0]);
    expect(parseVersion("20.19\n")).toEqual([20, 19, 0]);
    expect(parseVersion("v20.20.2")).toEqual([20, 20, 2]);
    expect(parseVersion("lts/iron")).toBeUndefined();
  });

  it("accepts the same major at or above the pin only", () => {
    expect(satisfiesPin([20, 19, 0], [20, 19, 0])).toBe(true);
    expect(satisfiesPin([20, 20, 2], [20, 19, 0])).toBe(true);
    expect(satisfiesPin([20, 18, 9], [20, 19, 0])).toBe(false);
    expect(satisfiesPin([22, 0, 0], [20, 19, 0])).toBe(false);
  });
});

describe("nodeVersionProblems", () => {
  let root = "";
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  function tree({ nvmrc = "20.19", engines = ">=20.19", types = "^20.19.0", readme = "Node ≥ 20.19." } = {}) {
    root = mkdtempSync(join(tmpdir(), "node-version-"));
    writeFileSync(join(root, ".nvmrc"), `${nvmrc}\n`);
    writeFileSync(join(root, "README.md"), readme);
    writeFileSync(
      join(root, "package.json"),
      JSON.stringify({
        workspaces: ["packages/*"],
        engines: { node: ">=20.19" },
        devDependencies: { "@types/node": types },
      }),
    );
    mkdirSync(join(root, "packages", "a"), { recursive: true });
    writeFileSync(
      join(root, "packages", "a", "package.json"),
      JSON.stringify({ name: "a", engines: { node: engines } }),
    );
    writeFileSync(join(root, "packages", "a", "README.md"), "Needs Node ≥ 20.19.");
    return root;
  }

  it("passes when everything agrees with .nvmrc", () => {
    expect(nodeVersionProblems(tree(), "v20.20.2")).toEqual([]);
  });

  it("names each disagreement", () => {
    expect(nodeVersionProblems(tree({ engines: ">=18", types: "^22.0.0", readme: "Node ≥ 20.11" }), "v22.1.0")).toEqual(
      [
        "node v22.1.0 is running; .nvmrc pins Node 20.19 (same major, not older)",
        'packages/a/package.json: engines.node is ">=18", not ">=20.19"',
        'package.json: @types/node is "^22.0.0", not on the Node 20 line',
        'README.md does not say "Node ≥ 20.19"',
        './README.md says "Node ≥ 20.11", not "Node ≥ 20.19"',
      ],
    );
    expect(nodeVersionProblems(tree({ nvmrc: "lts/*" }), undefined)).toEqual([
      '.nvmrc: "lts/*" is not a version like 20.19',
    ]);
  });
});
