/** Types of readme-example.mjs, for the TypeScript tests that run README examples (see @modelwire/test-kit/readme). */
export interface Example {
  install: string[];
  lang: "js" | "sh";
  code: string;
  expected: string | undefined;
}
export function parseExample(readme: string, name: string): { example?: Example; problems: string[] };
