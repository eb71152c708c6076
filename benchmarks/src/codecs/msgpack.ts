/** MessagePack (msgpackr) of the same data: the plain records of record-shape.ts, standard msgpack (no records extension). */
import type { GenerateRequest, GenerateResponse } from "@modelwire/core";
import { Code, ModelwireError } from "@modelwire/core";
import { Packr } from "msgpackr";
import {
  type RequestRecord,
  type ResponseRecord,
  requestFromRecord,
  requestToRecord,
  responseFromRecord,
  responseToRecord,
} from "../record-shape.js";
import type { Codec } from "./codec.js";
import { checkSize } from "./protobuf.js";

function msgpackCodec<T, R>(toRecord: (m: T) => R, fromRecord: (r: R) => T): Codec<T> {
  // useRecords: false keeps plain maps with their keys on the wire (interoperable msgpack), like JSON carries them.
  const packr = new Packr({ useRecords: false });
  return {
    encode: (value) => packr.pack(toRecord(value)),
    decode(bytes) {
      checkSize(bytes.length, "MessagePack value");
      let record: R;
      try {
        record = packr.unpack(bytes) as R;
      } catch (e) {
        throw new ModelwireError(`bad MessagePack: ${(e as Error).message}`, Code.InvalidArgument, undefined, e);
      }
      if (record === null || typeof record !== "object")
        throw new ModelwireError("MessagePack value is not a map", Code.InvalidArgument);
      return fromRecord(record);
    },
  };
}

/** MessagePack codec for GenerateRequest. */
export function msgpackRequestCodec(): Codec<GenerateRequest> {
  return msgpackCodec<GenerateRequest, RequestRecord>(requestToRecord, requestFromRecord);
}

/** MessagePack codec for GenerateResponse. */
export function msgpackResponseCodec(): Codec<GenerateResponse> {
  return msgpackCodec<GenerateResponse, ResponseRecord>(responseToRecord, responseFromRecord);
}
