#!/usr/bin/env node
// The `modelwire` command. This file is committed, not built: npm links a bin only if its file exists when
// `npm ci` runs, and dist/ is built afterwards. It loads the built command (dist/cli.js) and, in a clone that has
// not been built yet, says which command builds it instead of failing with a missing-module stack trace.
import { existsSync } from "node:fs";

const cli = new URL("../dist/cli.js", import.meta.url);
if (existsSync(cli)) {
  await import(cli.href);
} else {
  process.stderr.write(
    "modelwire: the command is not built yet (dist/cli.js is missing).\n" +
      "Build it from the repository root with `npm run build` (`npm run bench` and `npm test` build it too).\n",
  );
  process.exitCode = 1;
}
