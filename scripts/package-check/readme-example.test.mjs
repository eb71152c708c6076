import { describe, expect, it } from "vitest";
import { parseExample } from "./readme-example.mjs";

const fence = "```";
const readme = (body) =>
  `# @x/pkg\n\nWhat it is.\n\n## Example\n\n${body}\n## More\n\n${fence}js\nnot the example\n${fence}\n`;

describe("parseExample", () => {
  it("reads the install line, the code and what it prints", () => {
    const r = parseExample(
      readme(
        `${fence}sh\nnpm install @x/pkg dep\n${fence}\n\n${fence}js\nimport { a } from "@x/pkg";\nimport "dep/sub";\nimport "node:fs";\nconsole.log(a);\n${fence}\n\nIt prints:\n\n${fence}text\n1\n${fence}\n`,
      ),
      "@x/pkg",
    );
    expect(r.problems).toEqual([]);
    expect(r.example).toEqual({
      install: ["@x/pkg", "dep"],
      lang: "js",
      code: 'import { a } from "@x/pkg";\nimport "dep/sub";\nimport "node:fs";\nconsole.log(a);\n',
      expected: "1\n",
    });
  });

  it("names what is missing", () => {
    expect(parseExample("# @x/pkg\n", "@x/pkg").problems).toEqual(["README.md has no '## Example' section"]);
    expect(parseExample(readme(`${fence}js\nimport "@x/pkg";\n${fence}\n`), "@x/pkg").problems).toEqual([
      "the Example has no ```sh block with an `npm install …` line",
      'the Example imports "@x/pkg", which its npm install line does not install',
    ]);
    expect(parseExample(readme(`${fence}sh\nnpm install other\n${fence}\n`), "@x/pkg").problems).toEqual([
      "the Example's npm install line does not name @x/pkg",
      "the Example has no ```js block to run",
    ]);
  });

  it("names an import the install line leaves out; output is optional", () => {
    const r = parseExample(
      readme(`${fence}sh\nnpm install @x/pkg\n${fence}\n\n${fence}js\nimport "@bufbuild/protobuf";\n${fence}\n`),
      "@x/pkg",
    );
    expect(r.problems).toEqual([
      'the Example imports "@bufbuild/protobuf", which its npm install line does not install',
    ]);
    expect(r.example?.expected).toBeUndefined();
  });
});
