import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const here = fileURLToPath(new URL(".", import.meta.url));

/** Imports `entry` in a fresh Node process and returns the `@grpc/*` modules it resolved through ESM. */
function grpcModulesLoadedBy(entry: string): Promise<string[]> {
  const hooks =
    "export async function resolve(s, c, n) { const r = await n(s, c);" +
    ' if (r.url.includes("/@grpc/")) process.stderr.write("LOADED " + r.url + "\\n"); return r; }';
  const register =
    'import { register } from "node:module";' +
    `register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [
        "--import",
        `data:text/javascript,${encodeURIComponent(register)}`,
        "--import",
        "tsx",
        "--input-type=module",
        "-e",
        `await import(${JSON.stringify(entry)}); console.log("imported");`,
      ],
      { cwd: here, timeout: 30_000 },
      (error, stdout, stderr) => {
        if (error) return reject(error);
        expect(stdout).toContain("imported");
        resolve(stderr.split("\n").filter((l) => l.startsWith("LOADED ")));
      },
    );
  });
}

describe("entry points", () => {
  it("the main entry does not load @grpc/grpc-js or @grpc/proto-loader; the grpc-js subpath does", async () => {
    expect(await grpcModulesLoadedBy(`${here}index.ts`)).toEqual([]);
    const sub = await grpcModulesLoadedBy(`${here}grpc-js/index.ts`);
    expect(sub.some((l) => l.includes("@grpc/grpc-js"))).toBe(true);
    expect(sub.some((l) => l.includes("@grpc/proto-loader"))).toBe(true);
  }, 70_000);

  it.skipIf(!existsSync(`${here}../dist/index.js`))(
    "the built package's main entry, imported by name, resolves no @grpc module (they are optional peers)",
    async () => {
      expect(await grpcModulesLoadedBy("@modelwire/connect")).toEqual([]);
    },
    40_000,
  );
});
