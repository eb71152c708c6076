/**
 * What shipped code imports must be installed with the package: every bare specifier in a shipped `.js` or `.d.ts`
 * names a Node built-in, the package itself, or one of its `dependencies`, `peerDependencies` or
 * `optionalDependencies` (never a devDependency, never something only the monorepo's hoisting provides); every
 * relative specifier names a file the package ships. Pure: takes the packed file list and a reader.
 */
import { builtinModules } from "node:module";
import { posix } from "node:path";

const BUILTINS = new Set(builtinModules);

/**
 * The module specifiers a compiled file imports or re-exports (static `import`/`export … from`, side-effect
 * `import "x"`, dynamic `import("x")` with a literal, `require("x")`), comments ignored.
 * @param {string} text
 * @returns {string[]}
 */
export function importSpecifiers(text) {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const out = [];
  for (const re of [
    /^\s*(?:import|export)\s[^;"']*?\bfrom\s*["']([^"']+)["']/gm,
    /^\s*import\s*["']([^"']+)["']/gm,
    /(?<![\w$.-])(?:import|require)\s*\(\s*["']([^"']+)["']\s*\)/g,
  ]) {
    for (const m of code.matchAll(re)) out.push(m[1]);
  }
  return out;
}

/**
 * The package a bare specifier names (`@scope/name/sub` → `@scope/name`, `name/sub` → `name`).
 * @param {string} specifier
 */
export function packageOf(specifier) {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/**
 * @param {Record<string, any>} manifest the package.json
 * @param {ReadonlySet<string>} files the packed paths
 * @param {(path: string) => string} read
 * @returns {string[]} one message per problem
 */
export function importProblems(manifest, files, read) {
  const declared = new Set([
    manifest.name,
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
    ...Object.keys(manifest.optionalDependencies ?? {}),
  ]);
  const dev = new Set(Object.keys(manifest.devDependencies ?? {}));
  const problems = [];
  for (const file of [...files].sort()) {
    const isDts = /\.d\.[cm]?ts$/.test(file);
    if (!isDts && !/\.[cm]?js$/.test(file)) continue;
    for (const spec of new Set(importSpecifiers(read(file)))) {
      if (spec.startsWith(".")) {
        const target = posix.normalize(posix.join(posix.dirname(file), spec));
        const wanted = isDts ? target.replace(/\.([cm]?)js$/, ".d.$1ts") : target;
        if (!files.has(wanted)) problems.push(`${file}: imports "${spec}", but ${wanted} does not ship`);
        continue;
      }
      if (spec.startsWith("node:") || BUILTINS.has(spec)) continue;
      const pkg = packageOf(spec);
      if (declared.has(pkg)) continue;
      const why = dev.has(pkg) ? "only a devDependency" : "not a dependency";
      problems.push(`${file}: imports "${spec}", but ${pkg} is ${why} of ${manifest.name}`);
    }
  }
  return problems;
}
