/**
 * Runs a published package's README example against the workspace's TypeScript sources, inside vitest, so a change
 * that alters what the example prints fails that package's tests, not only CI's package check (which runs the same
 * example from the packed tarballs: scripts/package-check/run.mjs). The README's format is parsed by
 * scripts/package-check/readme-example.mjs.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { format } from "node:util";
import { parseExample } from "../../../scripts/package-check/readme-example.mjs";

const ROOT = resolve(import.meta.dirname, "../../..");

/** What {@link runReadmeExample} found: the README's problems, what the example printed and what the README says. */
export interface ReadmeRun {
  problems: string[];
  stdout: string;
  expected: string | undefined;
}

let runs = 0;

/**
 * Parses `packageDir/README.md`'s `## Example`, runs its JavaScript (imports resolve as in the package's own tests)
 * with `console.log` captured, and returns what it printed beside what the README's "It prints:" block says.
 */
export async function runReadmeExample(packageDir: string): Promise<ReadmeRun> {
  const name = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")).name as string;
  const { example, problems } = parseExample(readFileSync(join(packageDir, "README.md"), "utf8"), name);
  if (example?.lang !== "js") {
    return { problems: example ? [...problems, "the Example is not JavaScript"] : problems, stdout: "", expected: "" };
  }
  // Inside the repository (not node_modules, which vitest does not transform), so workspace imports resolve to
  // the sources and others to the root node_modules; .scratch/ is git-ignored.
  const dir = join(ROOT, ".scratch", "readme-examples");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name.replace(/[^a-z0-9]+/gi, "-")}-${process.pid}-${++runs}.mjs`);
  writeFileSync(file, example.code);
  let stdout = "";
  const log = console.log;
  console.log = (...args: unknown[]) => {
    stdout += `${format(...args)}\n`;
  };
  try {
    await import(/* @vite-ignore */ pathToFileURL(file).href);
  } finally {
    console.log = log;
    rmSync(file, { force: true });
  }
  return { problems, stdout, expected: example.expected };
}
