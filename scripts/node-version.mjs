/**
 * The Node version lives in one place, `.nvmrc` (e.g. `20.19`: the release line CI and development use, and the
 * oldest version supported). Everything else that names a Node version must agree with it:
 * - the running `node` (in CI) is on the same major line and not older;
 * - every package.json (root and workspaces) has `engines.node` equal to `>=<.nvmrc>`;
 * - `@types/node` is on the same major line;
 * - the README says `Node ≥ <.nvmrc>`, and no README names another `Node ≥` version.
 *
 * `node scripts/node-version.mjs` prints what it checked and exits 1 naming each disagreement. Plain Node, no
 * dependencies: CI runs it before `npm ci`.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { readJson, workspaces } from "./workspaces.mjs";

/**
 * Parses `20`, `20.19`, `v20.19.1` into [major, minor, patch] (missing parts are 0); undefined if it is not one.
 * @param {string} text
 * @returns {[number, number, number] | undefined}
 */
export function parseVersion(text) {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(text.trim());
  return m ? [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)] : undefined;
}

/**
 * Whether `running` is on `pinned`'s major line and not older than it.
 * @param {[number, number, number]} running
 * @param {[number, number, number]} pinned
 */
export function satisfiesPin(running, pinned) {
  if (running[0] !== pinned[0]) return false;
  for (let i = 1; i < 3; i++) if (running[i] !== pinned[i]) return running[i] > pinned[i];
  return true;
}

/**
 * Every disagreement with `.nvmrc` under `root`, as messages (empty when all agree).
 * @param {string} root
 * @param {string | undefined} runningNode the running node's version to check, or undefined to skip that check
 * @returns {string[]}
 */
export function nodeVersionProblems(root, runningNode) {
  const pinText = readFileSync(join(root, ".nvmrc"), "utf8").trim();
  const pin = parseVersion(pinText);
  if (!pin) return [`.nvmrc: "${pinText}" is not a version like 20.19`];
  const problems = [];
  if (runningNode !== undefined) {
    const running = parseVersion(runningNode);
    if (!running || !satisfiesPin(running, pin)) {
      problems.push(`node ${runningNode} is running; .nvmrc pins Node ${pinText} (same major, not older)`);
    }
  }
  const engines = `>=${pinText}`;
  const rootManifest = readJson(join(root, "package.json"));
  const manifests = [{ dir: ".", manifest: rootManifest }, ...workspaces(root)];
  for (const { dir, manifest } of manifests) {
    const got = manifest.engines?.node;
    if (got !== engines) problems.push(`${dir}/package.json: engines.node is ${JSON.stringify(got)}, not "${engines}"`);
  }
  const types = rootManifest.devDependencies?.["@types/node"];
  if (typeof types !== "string" || !types.replace(/^[\^~]/, "").startsWith(`${pin[0]}.`)) {
    problems.push(`package.json: @types/node is ${JSON.stringify(types)}, not on the Node ${pin[0]} line`);
  }
  if (!readFileSync(join(root, "README.md"), "utf8").includes(`Node ≥ ${pinText}`)) {
    problems.push(`README.md does not say "Node ≥ ${pinText}"`);
  }
  for (const { dir } of manifests) {
    const readme = join(root, dir, "README.md");
    if (!existsSync(readme)) continue;
    for (const m of readFileSync(readme, "utf8").matchAll(/Node ≥ ([\d.]+\d)/g)) {
      if (m[1] !== pinText) problems.push(`${dir}/README.md says "Node ≥ ${m[1]}", not "Node ≥ ${pinText}"`);
    }
  }
  return problems;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const root = join(import.meta.dirname, "..");
  const problems = nodeVersionProblems(root, process.version);
  const pin = readFileSync(join(root, ".nvmrc"), "utf8").trim();
  if (problems.length > 0) {
    for (const p of problems) console.error(`node version: ${p}`);
    process.exit(1);
  }
  console.log(`node version: ${process.version} satisfies .nvmrc ${pin}; engines, @types/node and README agree`);
}
