import { create, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { anyPack, anyUnpack } from "@bufbuild/protobuf/wkt";
import {
  type Code,
  codeName,
  type ErrorInfo,
  ErrorInfoSchema,
  type ModelwireError,
  RpcStatusSchema,
} from "@modelwire/core";

/** The `ErrorInfo.domain` of the errors modelwire sends. */
export const ERROR_DOMAIN = "modelwire";

/** The trailer carrying a call's google.rpc.Status (base64, the gRPC rich error model). */
export const STATUS_DETAILS_BIN = "grpc-status-details-bin";

/**
 * The google.rpc.ErrorInfo detail every modelwire error carries: the code name as `reason` (`NOT_FOUND`),
 * {@link ERROR_DOMAIN}, and the error's metadata with its keys exactly as set (an HTTP/2 header name would be
 * lower-cased).
 */
export function errorInfo(error: ModelwireError, code: Code): MessageInitShape<typeof ErrorInfoSchema> {
  return { reason: codeName(code).toUpperCase(), domain: ERROR_DOMAIN, metadata: error.metadata };
}

/**
 * The `grpc-status-details-bin` value of a failed call: a google.rpc.Status (code, message, the {@link errorInfo}
 * packed in an Any), base64 without padding as the gRPC spec asks of binary headers.
 */
export function statusDetailsBin(error: ModelwireError, code: Code): string {
  const status = create(RpcStatusSchema, {
    code,
    message: error.rawMessage,
    details: [anyPack(ErrorInfoSchema, create(ErrorInfoSchema, errorInfo(error, code)))],
  });
  return Buffer.from(toBinary(RpcStatusSchema, status)).toString("base64").replace(/=+$/, "");
}

/**
 * The metadata of the ErrorInfo details in a `grpc-status-details-bin` value (merged, in order), or undefined when
 * the value is not a decodable google.rpc.Status or holds no ErrorInfo. Never throws.
 */
export function metadataFromStatusDetails(value: string): Record<string, string> | undefined {
  try {
    const status = fromBinary(RpcStatusSchema, Buffer.from(value, "base64"));
    return metadataFromErrorInfos(
      status.details.map((d) => anyUnpack(d, ErrorInfoSchema)).filter((d): d is ErrorInfo => d !== undefined),
    );
  } catch {
    return undefined;
  }
}

/** The metadata of `infos` merged in order, or undefined when there are none. */
export function metadataFromErrorInfos(infos: readonly ErrorInfo[]): Record<string, string> | undefined {
  if (infos.length === 0) return undefined;
  const metadata: Record<string, string> = {};
  for (const info of infos) Object.assign(metadata, info.metadata);
  return metadata;
}
