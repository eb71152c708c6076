/**
 * `@modelwire/core/grpc`: the generated schemas of the standard gRPC services a modelwire Connect port serves
 * beside the contract — health checking (`grpc.health.v1`) and server reflection (`grpc.reflection.v1` and
 * `v1alpha`). A sub-path, so the main entry carries only the modelwire contract.
 *
 * @packageDocumentation
 */
export * as healthV1 from "./gen/grpc/health/v1/health_pb.js";
export * as reflectionV1 from "./gen/grpc/reflection/v1/reflection_pb.js";
export * as reflectionV1alpha from "./gen/grpc/reflection/v1alpha/reflection_pb.js";
