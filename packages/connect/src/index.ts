/**
 * @modelwire/connect: the InferenceService over Connect, gRPC and gRPC-Web (connect-node), a client for it, and a
 * stock grpc-js server/client pair used as the interop peer and the benchmark's reference.
 *
 * @packageDocumentation
 */

export {
  type ConnectClientOptions,
  type ConnectProtocol,
  createConnectClient,
  type KeepaliveOptions,
} from "./client.js";
export { fromConnectError, toConnectError } from "./errors.js";
export {
  createGrpcJsClient,
  createGrpcJsServer,
  type GrpcJsClientOptions,
  type GrpcJsServerOptions,
} from "./grpcjs.js";
export { INFERENCE_SERVICE_NAME, loadInferenceServiceDefinition, protoDir } from "./proto.js";
export {
  backoffMs,
  isRetryable,
  type RetryOptions,
  type RetryPolicy,
  resolveRetryPolicy,
} from "./retry.js";
export { type ConnectServerOptions, createConnectServer } from "./server.js";
export { createInferenceServiceImpl, type InFlightCounter } from "./service.js";
export { createPrefaceSniffer, type PrefaceRoutes } from "./sniff.js";
export { type CallTiming, createTimingInterceptor } from "./timing.js";
