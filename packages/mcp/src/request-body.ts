import { create, type DescMessage, isMessage, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { type CallOptions, type GenerateRequestInit, GenerateRequestSchema } from "@modelwire/core";
import type { RequestBody } from "./client-connection.js";

/**
 * The method encoders of the client: what each call puts in its OPEN frame's InferenceRequest body. A message that
 * names a model carries it in the envelope (`model_version`) and is serialized without it.
 */

const EMPTY = new Uint8Array(0);

/** The body of a call that carries no model and no message (list, running, version). */
export function emptyBody(options: CallOptions | undefined): RequestBody {
  return { modelVersion: "", input: EMPTY, metadata: options?.metadata };
}

/**
 * The body of a call whose message names a model: the model travels in the envelope, the message is encoded with
 * protobuf-es without it (cleared on `req` for the encoding and put back, so `req` is not copied).
 */
export function modelBody<S extends DescMessage>(
  schema: S,
  req: MessageShape<S> & { model: string },
  options: CallOptions | undefined,
): RequestBody {
  const model = req.model;
  req.model = "";
  const inner = toBinary(schema, req);
  req.model = model;
  return { modelVersion: model, input: inner, metadata: options?.metadata };
}

/**
 * The body of a generate call: the request itself, serialized by hand straight into the OPEN frame when the stream
 * opens (see `encodeGenerateOpenFrame`).
 */
export function generateBody(request: GenerateRequestInit, options: CallOptions | undefined): RequestBody {
  return {
    modelVersion: "",
    input: EMPTY,
    metadata: options?.metadata,
    generate: isMessage(request, GenerateRequestSchema) ? request : create(GenerateRequestSchema, request),
  };
}

/** `request` as a message of `schema` (an init object is created; a message is used as it is). */
export function asMessage<S extends DescMessage>(schema: S, request: unknown): MessageShape<S> {
  return isMessage(request, schema) ? request : create(schema, request as never);
}
