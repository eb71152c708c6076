/**
 * @modelwire/connect: the InferenceService over Connect, gRPC and gRPC-Web (connect-node), and a client for it. The
 * stock grpc-js server/client pair (interop peer, benchmark reference) is a separate entry point,
 * `@modelwire/connect/grpc-js`, so this one never loads `@grpc/grpc-js` or `@grpc/proto-loader`.
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
export { createGrpcFallback } from "./grpc-fallback.js";
export { createHealthServiceImpl } from "./health.js";
export { INFERENCE_SERVICE_NAME, protoDir } from "./proto.js";
export { createReflectionServiceImpls } from "./reflection.js";
export {
  backoffMs,
  isRetryable,
  type RetryOptions,
  type RetryPolicy,
  resolveRetryPolicy,
} from "./retry.js";
export { type ConnectServerOptions, createConnectServer, SERVED_SERVICES } from "./server.js";
export { createInferenceServiceImpl, type InFlightCounter } from "./service.js";
export { createPrefaceSniffer, type PrefaceRoutes } from "./sniff.js";
export { type CallTiming, createTimingInterceptor } from "./timing.js";
