/**
 * @modelwire/connect: the InferenceService over Connect, gRPC and gRPC-Web (connect-node), a client for it, and a
 * stock grpc-js server/client pair used as the interop peer and the benchmark's reference.
 *
 * @packageDocumentation
 */
export { createConnectServer, type ConnectServerOptions } from "./server.js";
export {
  createConnectClient,
  type ConnectClientOptions,
  type ConnectProtocol,
  type KeepaliveOptions,
} from "./client.js";
export { createInferenceServiceImpl, type InFlightCounter } from "./service.js";
export { toConnectError, fromConnectError } from "./errors.js";
export { createTimingInterceptor, type CallTiming } from "./timing.js";
export {
  resolveRetryPolicy,
  backoffMs,
  isRetryable,
  type RetryOptions,
  type RetryPolicy,
} from "./retry.js";
export { createPrefaceSniffer, type PrefaceRoutes } from "./sniff.js";
export {
  createGrpcJsServer,
  createGrpcJsClient,
  type GrpcJsServerOptions,
  type GrpcJsClientOptions,
} from "./grpcjs.js";
export { protoDir, loadInferenceServiceDefinition, INFERENCE_SERVICE_NAME } from "./proto.js";
