import { resolve } from "node:path";
import type { UserWorkspaceConfig } from "vitest/config";

const root = import.meta.dirname;

/** Workspace packages resolve to their TypeScript sources in tests, so no build is needed to test a library. */
export const sourceAliases = [
  { find: /^@modelwire\/connect\/grpc-js$/, replacement: resolve(root, "packages/connect/src/grpc-js/index.ts") },
  { find: /^@modelwire\/core\/grpc$/, replacement: resolve(root, "packages/core/src/grpc.ts") },
  { find: /^@modelwire\/core\/token$/, replacement: resolve(root, "packages/core/src/token.ts") },
  { find: /^@modelwire\/http\/server$/, replacement: resolve(root, "packages/http/src/server-entry.ts") },
  { find: /^@modelwire\/http\/openai$/, replacement: resolve(root, "packages/http/src/openai/index.ts") },
  { find: /^@modelwire\/mcp-codec\/internal$/, replacement: resolve(root, "packages/mcp-codec/src/internal/index.ts") },
  {
    find: /^@modelwire\/(core|engine|mcp-codec|mcp|connect|http)$/,
    replacement: resolve(root, "packages/$1/src/index.ts"),
  },
  { find: /^@modelwire\/(server|bench)$/, replacement: resolve(root, "apps/$1/src/index.ts") },
  { find: /^@modelwire\/test-kit$/, replacement: resolve(root, "packages/test-kit/src/index.ts") },
  { find: /^@modelwire\/test-kit\/arbitraries$/, replacement: resolve(root, "packages/test-kit/src/arbitraries.ts") },
  { find: /^@modelwire\/test-kit\/standin$/, replacement: resolve(root, "packages/test-kit/src/standin.ts") },
  { find: /^@modelwire\/test-kit\/ollama$/, replacement: resolve(root, "packages/test-kit/src/ollama/index.ts") },
  { find: /^@modelwire\/test-kit\/readme$/, replacement: resolve(root, "packages/test-kit/src/readme.ts") },
];

/** The vitest project config every package uses. */
export function sharedProject(dir: string): UserWorkspaceConfig {
  return {
    resolve: { alias: sourceAliases },
    test: {
      name: dir.slice(root.length + 1),
      root: dir,
      include: ["src/**/*.test.ts"],
      testTimeout: 20_000,
      hookTimeout: 20_000,
    },
  };
}
