/**
 * The repository's workspace packages, read from the root package.json's `workspaces` (entries are `dir` or `dir/*`).
 * Plain Node, no dependencies: CI calls this before `npm ci`.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** @typedef {{ dir: string, manifest: Record<string, any> }} Workspace */

/** Reads and parses a JSON file. */
export function readJson(path) {
  return JSON.parse(readFileSync(path, "utf8"));
}

/**
 * Every workspace package under `root`.
 * @param {string} root
 * @returns {Workspace[]}
 */
export function workspaces(root) {
  const out = [];
  for (const entry of readJson(join(root, "package.json")).workspaces ?? []) {
    const dirs = entry.endsWith("/*")
      ? readdirSync(join(root, entry.slice(0, -2)), { withFileTypes: true })
          .filter((d) => d.isDirectory())
          .map((d) => join(entry.slice(0, -2), d.name))
      : [entry];
    for (const dir of dirs.sort()) {
      const file = join(root, dir, "package.json");
      if (existsSync(file)) out.push({ dir, manifest: readJson(file) });
    }
  }
  return out;
}

/**
 * The workspaces that are published: not `private`.
 * @param {string} root
 */
export function publicWorkspaces(root) {
  return workspaces(root).filter((w) => w.manifest.private !== true);
}
