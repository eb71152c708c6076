/**
 * Writes the committed MCP test vectors (packages/mcp-codec/vectors/*.json). Run once after a wire change:
 * `node --import tsx src/test-support/make-vectors.ts frames > vectors/frames.json` (likewise `errors`, `session`,
 * `server`, `compact`, `batch`); it writes to stdout so that nothing in this package imports `node:` modules. Each document is one
 * module in `./vectors/` (frames, errors, session, server; `samples.ts` holds the messages they share and
 * `notation.ts` how bytes and errors are written down), whose meaning side is written out by hand; the codec's
 * tests check both directions (hex → meaning, meaning → hex) and `vectors/generated.test.ts` that the committed
 * files are what these modules write.
 */
import { batchVectors } from "./vectors/batch.js";
import { compactVectors } from "./vectors/compact.js";
import { errors } from "./vectors/errors.js";
import { frames } from "./vectors/frames.js";
import { serverVectors } from "./vectors/server.js";
import { sessionVectors } from "./vectors/session.js";

const which = process.argv[2];
const docs: Record<string, unknown> = {
  frames,
  errors,
  session: sessionVectors,
  server: serverVectors,
  compact: compactVectors,
  batch: batchVectors,
};
if (!which || !(which in docs)) throw new Error("usage: make-vectors.ts frames|errors|session|server|compact|batch");
process.stdout.write(`${JSON.stringify(docs[which], null, 2)}\n`);
