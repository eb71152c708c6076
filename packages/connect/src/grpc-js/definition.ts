import type * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { INFERENCE_SERVICE_NAME, protoDir } from "../proto.js";

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
