/**
 * A published package's README has an `## Example` section a stranger can run as written: a ```sh block with the
 * `npm install …` line, one ```js (or ```sh) block to run, and optionally, after it, a ```text block with exactly
 * what it prints. CI installs the packed packages in an empty directory and runs the example there. Pure: parses.
 */
import { builtinModules } from "node:module";
import { importSpecifiers, packageOf } from "./imports.mjs";

/** @typedef {{ install: string[], lang: "js" | "sh", code: string, expected: string | undefined }} Example */

/**
 * Parses the `## Example` section of a README.
 * @param {string} readme the README's text
 * @param {string} name the package's name (the install line must name it)
 * @returns {{ example?: Example, problems: string[] }}
 */
export function parseExample(readme, name) {
  const start = readme.search(/^## Example\s*$/m);
  if (start < 0) return { problems: ["README.md has no '## Example' section"] };
  const rest = readme.slice(start).replace(/^## Example\s*$/m, "");
  const next = rest.search(/^## /m);
  const section = next < 0 ? rest : rest.slice(0, next);
  /** @type {{ lang: string, body: string }[]} */
  const blocks = [...section.matchAll(/^```(\w*)[^\n]*\n([\s\S]*?)^```\s*$/gm)].map((m) => ({
    lang: m[1],
    body: m[2],
  }));
  const problems = [];
  const installBlock = blocks.find((b) => b.lang === "sh" && /^\s*npm install\s/m.test(b.body));
  const install = installBlock
    ? /^\s*npm install\s+(.*)$/m
        .exec(installBlock.body)[1]
        .split(/\s+/)
        .filter((w) => w && !w.startsWith("-"))
    : [];
  if (!installBlock) problems.push("the Example has no ```sh block with an `npm install …` line");
  else if (!install.includes(name)) problems.push(`the Example's npm install line does not name ${name}`);
  const runIndex = blocks.findIndex((b) => b !== installBlock && (b.lang === "js" || b.lang === "sh"));
  if (runIndex < 0) return { problems: [...problems, "the Example has no ```js block to run"] };
  const run = blocks[runIndex];
  const after = blocks.slice(runIndex + 1).find((b) => b.lang === "text");
  if (run.lang === "js") {
    for (const spec of importSpecifiers(run.body)) {
      if (spec.startsWith("node:") || builtinModules.includes(spec) || spec.startsWith(".")) continue;
      if (!install.includes(packageOf(spec))) {
        problems.push(`the Example imports "${spec}", which its npm install line does not install`);
      }
    }
  }
  return {
    example: { install, lang: /** @type {"js" | "sh"} */ (run.lang), code: run.body, expected: after?.body },
    problems,
  };
}
