import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: ["packages/*", "apps/*", "benchmarks", "scripts"],
    // Two cores: keep the file-level parallelism modest so socket tests do not starve each other.
    maxWorkers: 2,
  },
});
