import { defineProject } from "vitest/config";

/** The repository's own check scripts (plain Node, run by CI before and after the build). */
export default defineProject({
  test: { name: "scripts", root: import.meta.dirname, include: ["**/*.test.mjs"] },
});
