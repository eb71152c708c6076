import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { Code, ModelwireError } from "@modelwire/core";

/**
 * The directory holding `modelwire/v1/*.proto`: the repository's `proto/` folder, three levels above this module
 * (the same from `src/` and from `dist/`).
 */
export function protoDir(): string {
  const dir = fileURLToPath(new URL("../../../proto/", import.meta.url));
  if (!existsSync(`${dir}modelwire/v1/service.proto`)) {
    throw new ModelwireError(`modelwire protos not found under ${dir}`, Code.FailedPrecondition, { path: dir });
  }
  return dir;
}

/** The fully-qualified name of the service in the .proto. */
export const INFERENCE_SERVICE_NAME = "modelwire.v1.InferenceService";

let cached: grpc.ServiceDefinition | undefined;

/**
 * Loads `modelwire/v1/service.proto` with `@grpc/proto-loader` (camelCase fields, int64 as strings, enums as
 * names, defaults filled, oneofs named) and returns the InferenceService definition as stock grpc-js code would.
 */
export function loadInferenceServiceDefinition(): grpc.ServiceDefinition {
  if (cached) return cached;
  const pkg = protoLoader.loadSync("modelwire/v1/service.proto", {
    includeDirs: [protoDir()],
    keepCase: false,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  cached = pkg[INFERENCE_SERVICE_NAME] as grpc.ServiceDefinition;
  return cached;
}
