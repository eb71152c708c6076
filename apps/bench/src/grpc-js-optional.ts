/**
 * The grpc-js reference pair (`@modelwire/connect/grpc-js`) needs `@grpc/grpc-js` and `@grpc/proto-loader`, which
 * the installed `modelwire` package carries as optional dependencies: an install with `--omit=optional` (or one
 * whose optional install failed) still runs every other transport, and the grpc-js one says what is missing.
 */
import { Code, ModelwireError } from "@modelwire/core";

/** What to run when the reference pair's dependencies are missing. */
export const GRPC_JS_MISSING =
  "the grpc-js reference pair needs the optional dependencies @grpc/grpc-js and @grpc/proto-loader, which are not " +
  "installed (npm install @grpc/grpc-js @grpc/proto-loader)";

/** Whether `e` is Node's failure to resolve a `@grpc/*` package. */
export function isMissingGrpc(e: unknown): boolean {
  const err = e as { code?: unknown; message?: unknown };
  return (
    (err?.code === "ERR_MODULE_NOT_FOUND" || err?.code === "MODULE_NOT_FOUND") &&
    /['"]@grpc\//.test(String(err.message))
  );
}

/** Imports `@modelwire/connect/grpc-js`; a missing `@grpc/*` package becomes an Unavailable error naming it. */
export async function importGrpcJs(): Promise<typeof import("@modelwire/connect/grpc-js")> {
  try {
    return await import("@modelwire/connect/grpc-js");
  } catch (e) {
    if (isMissingGrpc(e)) throw new ModelwireError(GRPC_JS_MISSING, Code.Unavailable, {}, e);
    throw e;
  }
}
