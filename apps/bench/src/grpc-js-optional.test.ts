import { describe, expect, it } from "vitest";
import { GRPC_JS_MISSING, importGrpcJs, isMissingGrpc } from "./grpc-js-optional.js";

describe("the optional grpc-js reference pair", () => {
  it("recognises Node's failure to resolve a @grpc package, and only that", async () => {
    const missing = await import("@grpc/not-a-package" as string).catch((e: unknown) => e);
    expect(isMissingGrpc(missing)).toBe(true);
    const other = await import("not-a-grpc-package" as string).catch((e: unknown) => e);
    expect(isMissingGrpc(other)).toBe(false);
    expect(isMissingGrpc(new Error("Cannot find package '@grpc/grpc-js'"))).toBe(false);
  });

  it("loads the pair when its dependencies are installed (the repository has them)", async () => {
    const m = await importGrpcJs();
    expect(typeof m.createGrpcJsClient).toBe("function");
    expect(GRPC_JS_MISSING).toMatch(/npm install @grpc\/grpc-js @grpc\/proto-loader/);
  });
});
