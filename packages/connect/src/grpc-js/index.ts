/**
 * `@modelwire/connect/grpc-js`: the stock `@grpc/grpc-js` reference pair (server and client over the same .proto,
 * loaded by `@grpc/proto-loader`) — the interop peer and the benchmark's baseline. A separate entry point so that
 * `@modelwire/connect` itself never loads grpc-js or proto-loader.
 *
 * @packageDocumentation
 */

export { loadInferenceServiceDefinition } from "./definition.js";
export {
  createGrpcJsClient,
  createGrpcJsServer,
  type GrpcJsClientOptions,
  type GrpcJsServerOptions,
} from "./reference.js";
