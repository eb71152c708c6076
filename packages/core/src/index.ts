/**
 * @modelwire/core: the shared Protobuf contract (generated from proto/modelwire/v1), the {@link InferenceClient}
 * interface every transport implements, and the one error type with its code enum.
 *
 * @packageDocumentation
 */

export type {
  CallOptions,
  ChatRequestInit,
  ClientStats,
  EmbedRequestInit,
  GenerateRequestInit,
  InferenceClient,
  ShowModelRequestInit,
} from "./client.js";
export {
  COALESCE_BYTES,
  type CoalescingWriter,
  createCoalescingWriter,
  joinBuffers,
  joinTexts,
  type WriteTarget,
} from "./coalescing-writer.js";
export { Code, codeFromName, codeName, isCode } from "./code.js";
export {
  type ConnectionGate,
  type ConnectionLimits,
  createConnectionGate,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_CONNECTIONS_PER_CLIENT,
  type GatedConnection,
  MAX_PENDING_REFUSALS,
  REFUSAL_LINGER_MS,
  type Refusal,
  resolveConnectionLimits,
} from "./connection-gate.js";
export {
  type CorsDecision,
  type CorsPolicy,
  type CorsPolicyOptions,
  type CorsRequest,
  createCorsPolicy,
  createOriginMatcher,
  OLLAMA_DEFAULT_ORIGINS,
  type OriginMatcher,
  ollamaOrigins,
  parseOriginList,
} from "./cors.js";
export { abortReason, type CallSignal, createCallSignal, effectiveDeadline, throwIfAborted } from "./deadline.js";
export {
  backgroundContext,
  type Engine,
  type EngineContext,
  type EngineStats,
  isAborted,
  ON_STREAM_END,
  type StreamEndHook,
  streamEndHook,
} from "./engine.js";
export { createEngineContext, type EngineCallContext } from "./engine-context.js";
export { type ErrorMetadata, invalidArgument, ModelwireError, modelNotFound } from "./error.js";
export { type ErrorInfo, ErrorInfoSchema } from "./gen/google/rpc/error_details_pb.js";
export { type Status as RpcStatus, StatusSchema as RpcStatusSchema } from "./gen/google/rpc/status_pb.js";
export * from "./gen/modelwire/v1/chat_pb.js";
export * from "./gen/modelwire/v1/generate_pb.js";
export * from "./gen/modelwire/v1/inference_pb.js";
export * from "./gen/modelwire/v1/models_pb.js";
export * from "./gen/modelwire/v1/options_pb.js";
export * from "./gen/modelwire/v1/service_pb.js";
export { codeToHttpStatus, httpStatusToCode } from "./http-status.js";
export {
  type ChatResponseFields,
  type GenerateResponseFields,
  newChatResponse,
  newGenerateResponse,
  newMetrics,
  newTimestamp,
  timestampOfMs,
} from "./messages.js";
export {
  type CallObserver,
  createServingState,
  type ListenAddress,
  noopObserver,
  type ProtocolServer,
  type ServerObserver,
  type ServerStats,
  type ServingState,
} from "./server.js";
export { createSocketTally, type SocketBytes, type SocketTally, type TalliedSocket } from "./socket-tally.js";
export {
  createStallWatch,
  DEFAULT_WRITE_STALL_TIMEOUT_MS,
  type StallTarget,
  type StallWatch,
  socketStallTarget,
  writeStallError,
} from "./stall-watch.js";
export { clampTimerMs, delay, type LongTimeout, MAX_TIMER_MS, setLongTimeout } from "./timer.js";
export {
  createWriteBudget,
  DEFAULT_MAX_QUEUED_BYTES,
  type QueuedBytes,
  WRITE_BUDGET_PERIOD_MS,
  type WriteBudget,
  writeBudgetError,
} from "./write-budget.js";
