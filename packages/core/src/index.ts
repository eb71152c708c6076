/**
 * @modelwire/core: the shared Protobuf contract (generated from proto/modelwire/v1), the {@link InferenceClient}
 * interface every transport implements, and the one error type with its code enum.
 *
 * @packageDocumentation
 */
export * from "./gen/modelwire/v1/chat_pb.js";
export * from "./gen/modelwire/v1/generate_pb.js";
export * from "./gen/modelwire/v1/inference_pb.js";
export * from "./gen/modelwire/v1/models_pb.js";
export * from "./gen/modelwire/v1/options_pb.js";
export * from "./gen/modelwire/v1/service_pb.js";
export { Code, codeName, codeFromName, isCode } from "./code.js";
export { ModelwireError, invalidArgument, modelNotFound, type ErrorMetadata } from "./error.js";
export { codeToHttpStatus, httpStatusToCode } from "./http-status.js";
export type {
  CallOptions,
  ClientStats,
  InferenceClient,
  GenerateRequestInit,
  ChatRequestInit,
  EmbedRequestInit,
  ShowModelRequestInit,
} from "./client.js";
export { createCallSignal, effectiveDeadline, throwIfAborted, abortReason, type CallSignal } from "./deadline.js";
export {
  noopObserver,
  type ListenAddress,
  type ServerStats,
  type ProtocolServer,
  type CallObserver,
  type ServerObserver,
} from "./server.js";
