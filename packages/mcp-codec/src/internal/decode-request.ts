/**
 * The server's reading of an OPEN body: the InferenceRequest envelope and, by the header's data type, the request
 * message the engine gets (the table in docs/mcp-wire.md §4.3), with the hand-written decoders on the hot path
 * (inference-request-decode.ts, generate-request-decode.ts) and protobuf-es `fromBinary` for the rest.
 */
import { create, fromBinary } from "@bufbuild/protobuf";
import {
  ChatRequestSchema,
  Code,
  DataType,
  EmbedRequestSchema,
  GenerateRequestSchema,
  ModelwireError,
  ShowModelRequestSchema,
} from "@modelwire/core";
import { Method } from "../constants.js";
import { decodeGenerateRequest } from "./generate-request-decode.js";
import { decodeInferenceRequest, type InferenceRequestView } from "./inference-request-decode.js";

/** The method names used in observer calls and errors, by {@link Method}. */
export const METHOD_NAMES: Readonly<Record<Method, string>> = {
  [Method.Generate]: "generate",
  [Method.Chat]: "chat",
  [Method.Embed]: "embed",
  [Method.List]: "list",
  [Method.Running]: "running",
  [Method.Show]: "show",
  [Method.Version]: "version",
};

/** A decoded OPEN request, ready for the engine, with the InferenceRequest's metadata. */
export type DecodedRequest = (
  | { method: Method.Generate; request: ReturnType<typeof create<typeof GenerateRequestSchema>> }
  | { method: Method.Chat; request: ReturnType<typeof create<typeof ChatRequestSchema>> }
  | { method: Method.Embed; request: ReturnType<typeof create<typeof EmbedRequestSchema>> }
  | { method: Method.Show; request: ReturnType<typeof create<typeof ShowModelRequestSchema>> }
  | { method: Method.List | Method.Running | Method.Version; request: undefined }
) & { metadata: Readonly<Record<string, string>> };

const text = new TextDecoder("utf-8", { fatal: true });

function invalid(message: string, field = "input_data"): ModelwireError {
  return new ModelwireError(message, Code.InvalidArgument, { field });
}

function parse<T>(f: () => T, what: string): T {
  try {
    return f();
  } catch (e) {
    throw new ModelwireError(`malformed ${what}: ${e instanceof Error ? e.message : String(e)}`, Code.InvalidArgument, {
      field: "input_data",
    });
  }
}

function utf8(b: Uint8Array): string {
  try {
    return text.decode(b);
  } catch {
    throw invalid("TEXT input is not valid UTF-8");
  }
}

function withModel<T extends { model: string }>(req: T, inf: InferenceRequestView): T {
  if (!req.model) req.model = inf.modelVersion;
  else if (inf.modelVersion && inf.modelVersion !== req.model) {
    throw invalid(
      `model_version '${inf.modelVersion}' differs from the request's model '${req.model}'`,
      "model_version",
    );
  }
  return req;
}

/**
 * Decodes an OPEN frame's InferenceRequest body for `method` according to the header's data type (the table in
 * docs/mcp-wire.md §4.3). Throws `InvalidArgument` for a malformed or mismatched input and `Unimplemented` for
 * IMAGE / TENSOR inputs.
 */
export function decodeRequest(method: Method, dataType: number, body: Uint8Array): DecodedRequest {
  const inf = parse(() => decodeInferenceRequest(body), "InferenceRequest");
  if (dataType === DataType.IMAGE || dataType === DataType.TENSOR) {
    throw new ModelwireError(`data type ${DataType[dataType]} is not supported by this server`, Code.Unimplemented, {
      field: "data_type",
    });
  }
  const mismatch = () =>
    invalid(`data type ${DataType[dataType] ?? dataType} does not fit method ${METHOD_NAMES[method]}`, "data_type");
  switch (method) {
    case Method.Generate: {
      if (dataType === DataType.GENERATE_REQUEST) {
        return {
          metadata: inf.metadata,
          method,
          request: withModel(
            parse(() => decodeGenerateRequest(inf.inputData), "GenerateRequest"),
            inf,
          ),
        };
      }
      if (dataType === DataType.TEXT) {
        return {
          metadata: inf.metadata,
          method,
          request: create(GenerateRequestSchema, { model: inf.modelVersion, prompt: utf8(inf.inputData) }),
        };
      }
      throw mismatch();
    }
    case Method.Chat:
      if (dataType !== DataType.CHAT_REQUEST) throw mismatch();
      return {
        metadata: inf.metadata,
        method,
        request: withModel(
          parse(() => fromBinary(ChatRequestSchema, inf.inputData), "ChatRequest"),
          inf,
        ),
      };
    case Method.Embed: {
      if (dataType === DataType.EMBED_REQUEST) {
        return {
          metadata: inf.metadata,
          method,
          request: withModel(
            parse(() => fromBinary(EmbedRequestSchema, inf.inputData), "EmbedRequest"),
            inf,
          ),
        };
      }
      if (dataType === DataType.TEXT) {
        return {
          metadata: inf.metadata,
          method,
          request: create(EmbedRequestSchema, { model: inf.modelVersion, input: [utf8(inf.inputData)] }),
        };
      }
      throw mismatch();
    }
    case Method.Show:
      if (dataType !== DataType.UNSPECIFIED) throw mismatch();
      return {
        metadata: inf.metadata,
        method,
        request: withModel(
          parse(() => fromBinary(ShowModelRequestSchema, inf.inputData), "ShowModelRequest"),
          inf,
        ),
      };
    default:
      if (dataType !== DataType.UNSPECIFIED) throw mismatch();
      if (inf.inputData.length !== 0) throw invalid(`${METHOD_NAMES[method]} takes no input`);
      return { method: method as Method.List, request: undefined, metadata: inf.metadata };
  }
}
