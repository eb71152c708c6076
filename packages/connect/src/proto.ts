import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
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
