/** Avro (avsc) of the same data: the plain records of record-shape.ts under a schema that mirrors the proto. */
import type { GenerateRequest, GenerateResponse } from "@modelwire/core";
import { Code, ModelwireError } from "@modelwire/core";
import avro from "avsc";
import {
  OPTION_FIELDS,
  type OptionKind,
  type RequestRecord,
  type ResponseRecord,
  requestFromRecord,
  requestToRecord,
  responseFromRecord,
  responseToRecord,
} from "../record-shape.js";
import type { Codec } from "./codec.js";
import { checkSize } from "./protobuf.js";

const nullable = (type: unknown) => ({ type: ["null", type], default: null });
const secondsNanos = (name: string) => ({
  type: "record",
  name,
  fields: [
    { name: "seconds", type: "long" },
    { name: "nanos", type: "int" },
  ],
});
const optionType = (kind: OptionKind): unknown => (kind === "strings" ? { type: "array", items: "string" } : kind);

/** The Avro schema of a GenerateRequest record. */
export const REQUEST_AVRO_SCHEMA = {
  type: "record",
  name: "GenerateRequest",
  namespace: "modelwire.v1",
  fields: [
    { name: "model", type: "string" },
    { name: "prompt", type: "string" },
    { name: "suffix", ...nullable("string") },
    { name: "system", ...nullable("string") },
    { name: "template", ...nullable("string") },
    { name: "context", ...nullable({ type: "array", items: "int" }) },
    { name: "stream", ...nullable("boolean") },
    { name: "raw", ...nullable("boolean") },
    { name: "format", ...nullable("string") },
    { name: "keep_alive", ...nullable(secondsNanos("Duration")) },
    { name: "images", ...nullable({ type: "array", items: "bytes" }) },
    {
      name: "options",
      ...nullable({
        type: "record",
        name: "Options",
        fields: OPTION_FIELDS.map(([, key, kind]) => ({ name: key, ...nullable(optionType(kind)) })),
      }),
    },
    { name: "think", type: ["null", "boolean", "string"], default: null },
  ],
};

/** The Avro schema of a GenerateResponse record. */
export const RESPONSE_AVRO_SCHEMA = {
  type: "record",
  name: "GenerateResponse",
  namespace: "modelwire.v1",
  fields: [
    { name: "model", type: "string" },
    { name: "created_at", ...nullable(secondsNanos("Timestamp")) },
    { name: "response", type: "string" },
    { name: "thinking", ...nullable("string") },
    { name: "done", type: "boolean" },
    { name: "done_reason", ...nullable("string") },
    { name: "context", ...nullable({ type: "array", items: "int" }) },
    {
      name: "metrics",
      ...nullable({
        type: "record",
        name: "Metrics",
        fields: [
          { name: "total_duration", type: "long" },
          { name: "load_duration", type: "long" },
          { name: "prompt_eval_count", type: "int" },
          { name: "prompt_eval_duration", type: "long" },
          { name: "eval_count", type: "int" },
          { name: "eval_duration", type: "long" },
        ],
      }),
    },
  ],
};

function avroCodec<T, R>(schema: object, toRecord: (m: T) => R, fromRecord: (r: R) => T): Codec<T> {
  const type = avro.Type.forSchema(schema as avro.Schema);
  return {
    encode: (value) => type.toBuffer(toRecord(value)),
    decode(bytes) {
      checkSize(bytes.length, "Avro record");
      const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      try {
        return fromRecord(type.fromBuffer(buf) as R);
      } catch (e) {
        throw new ModelwireError(`bad Avro record: ${(e as Error).message}`, Code.InvalidArgument, undefined, e);
      }
    },
  };
}

/** Avro codec for GenerateRequest (full conversion from and to the Protobuf message included). */
export function avroRequestCodec(): Codec<GenerateRequest> {
  // avsc's "bytes" type takes Buffers only: wrap each image in a Buffer view (no copy).
  const toRecord = (m: GenerateRequest): RequestRecord => {
    const r = requestToRecord(m);
    if (r.images) r.images = r.images.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength));
    return r;
  };
  return avroCodec<GenerateRequest, RequestRecord>(REQUEST_AVRO_SCHEMA, toRecord, requestFromRecord);
}

/** Avro codec for GenerateResponse (full conversion from and to the Protobuf message included). */
export function avroResponseCodec(): Codec<GenerateResponse> {
  return avroCodec<GenerateResponse, ResponseRecord>(RESPONSE_AVRO_SCHEMA, responseToRecord, responseFromRecord);
}
