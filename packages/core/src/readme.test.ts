// Relative: @modelwire/test-kit depends on core, so core cannot list it as a devDependency (a build cycle).

import { expect, it } from "vitest";
import { runReadmeExample } from "../../test-kit/src/readme.js";

it("the README example runs and prints what the README says (else update README.md's 'It prints:' block)", async () => {
  const run = await runReadmeExample(`${import.meta.dirname}/..`);
  expect(run.problems).toEqual([]);
  expect(run.stdout).toBe(run.expected);
});
