/**
 * Source maps must point at files the package ships: each `sources` entry of every shipped `.map` resolves to a
 * shipped file (or the map inlines that source's content), and every shipped TypeScript source is the source of
 * some map (so no test, bench or stale file ships by accident). Pure: takes the packed file list and a reader.
 */
import { posix } from "node:path";

/**
 * @param {ReadonlySet<string>} files the packed paths, relative to the package root, `/`-separated
 * @param {(path: string) => string} read reads a packed file's text
 * @returns {string[]} one message per problem (empty when the maps are sound)
 */
export function sourceMapProblems(files, read) {
  const problems = [];
  const referenced = new Set();
  for (const file of files) {
    if (!file.endsWith(".map")) continue;
    let map;
    try {
      map = JSON.parse(read(file));
    } catch (e) {
      problems.push(`${file}: not a JSON source map (${e.message})`);
      continue;
    }
    if (!Array.isArray(map.sources)) {
      problems.push(`${file}: has no "sources" array`);
      continue;
    }
    map.sources.forEach((source, i) => {
      const target = posix.normalize(posix.join(posix.dirname(file), map.sourceRoot ?? "", source));
      if (files.has(target)) referenced.add(target);
      else if (typeof map.sourcesContent?.[i] !== "string") {
        problems.push(`${file}: source "${source}" is ${target}, which the package does not ship (nor inline)`);
      }
    });
  }
  for (const file of files) {
    if (/\.test\.[cm]?[jt]sx?$/.test(file) || /(^|\/)test-support\//.test(file)) {
      problems.push(`${file}: a test file ships`);
    } else if (/\.[cm]?tsx?$/.test(file) && !/\.d\.[cm]?ts$/.test(file) && !referenced.has(file)) {
      problems.push(`${file}: ships, but no source map refers to it (a bench, test or stale file?)`);
    }
  }
  return problems;
}
