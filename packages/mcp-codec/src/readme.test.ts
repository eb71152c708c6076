import { runReadmeExample } from "@modelwire/test-kit/readme";
import { expect, it } from "vitest";

it("the README example runs and prints what the README says (else update README.md's 'It prints:' block)", async () => {
  const run = await runReadmeExample(`${import.meta.dirname}/..`);
  expect(run.problems).toEqual([]);
  expect(run.stdout).toBe(run.expected);
});
