import { basename, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(import.meta.url);

/**
 * Absolute path of the built gateway entry, `apps/server/dist/main.js`: run it with `node GATEWAY_MAIN [flags]`.
 * When this module is loaded from `src` (tests resolve workspace packages to their sources), it still points at
 * `dist/main.js`, which `npx turbo run build` produces.
 */
export const GATEWAY_MAIN: string =
  basename(dirname(here)) === "src"
    ? fileURLToPath(new URL("../dist/main.js", import.meta.url))
    : fileURLToPath(new URL("./main.js", import.meta.url));
