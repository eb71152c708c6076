import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createEndStreamSerialization } from "@connectrpc/connect/protocol-connect";
import { trailerSerialize } from "@connectrpc/connect/protocol-grpc-web";
import { describe, expect, it } from "vitest";
import { CONNECT_END_FLAG, CONNECT_END_OK } from "./connect-wire.js";
import { GRPC_WEB_TRAILER_FLAG, GRPC_WEB_TRAILER_OK } from "./grpc-web-wire.js";
import { flaggedEnvelope } from "./grpc-wire.js";

// The OK status frames are written as literal bytes so that loading the package builds no `Headers` (which loads
// Node's bundled undici: ~9 MB RSS and tens of ms in every gateway start-up). These pin them to what connect-es's own
// serializers write, so they stay equal to connect-node's.
describe("OK status frames", () => {
  it("are the bytes connect-es's serializers write", () => {
    const endOk = createEndStreamSerialization(undefined).serialize({ metadata: new Headers() });
    expect(CONNECT_END_OK).toEqual(flaggedEnvelope(CONNECT_END_FLAG, endOk));
    const trailerOk = trailerSerialize(new Headers({ "grpc-status": "0" }));
    expect(GRPC_WEB_TRAILER_OK).toEqual(flaggedEnvelope(GRPC_WEB_TRAILER_FLAG, trailerOk));
  });

  it("loading the package's entry does not load Node's bundled undici (no Headers/fetch at module load)", () => {
    const entry = fileURLToPath(new URL("./index.ts", import.meta.url));
    const probe = `await import(${JSON.stringify(entry)}); console.log(JSON.stringify(process.moduleLoadList.filter((m) => m.includes("deps/undici"))));`;
    const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", probe], {
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split("\n").pop() ?? "null")).toEqual([]);
  }, 60_000);
});
