/** Protobuf binary and Protobuf JSON via @bufbuild/protobuf: the bare baselines. */
import {
  type DescMessage,
  fromBinary,
  fromJsonString,
  type MessageShape,
  toBinary,
  toJsonString,
} from "@bufbuild/protobuf";
import { Code, ModelwireError } from "@modelwire/core";
import type { Codec } from "./codec.js";

/** The largest message a bench decoder accepts (the limit every parser has). */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** Throws ResourceExhausted when `n` exceeds {@link MAX_MESSAGE_BYTES}. */
export function checkSize(n: number, what: string): void {
  if (n > MAX_MESSAGE_BYTES) {
    throw new ModelwireError(
      `${what} of ${n} bytes exceeds the ${MAX_MESSAGE_BYTES}-byte limit`,
      Code.ResourceExhausted,
    );
  }
}

function invalid(what: string, cause: unknown): ModelwireError {
  return new ModelwireError(
    `${what}: ${cause instanceof Error ? cause.message : String(cause)}`,
    Code.InvalidArgument,
    undefined,
    cause,
  );
}

/** Bare Protobuf binary: `toBinary` / `fromBinary`. */
export function protobufBinaryCodec<Desc extends DescMessage>(schema: Desc): Codec<MessageShape<Desc>> {
  return {
    encode: (value) => toBinary(schema, value),
    decode: (bytes) => {
      checkSize(bytes.length, "Protobuf message");
      try {
        return fromBinary(schema, bytes);
      } catch (e) {
        throw invalid("bad Protobuf binary", e);
      }
    },
  };
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

/** Protobuf's canonical JSON mapping: `toJsonString` / `fromJsonString`, plus the UTF-8 step to and from bytes. */
export function protobufJsonCodec<Desc extends DescMessage>(schema: Desc): Codec<MessageShape<Desc>> {
  return {
    encode: (value) => utf8Encoder.encode(toJsonString(schema, value)),
    decode: (bytes) => {
      checkSize(bytes.length, "Protobuf JSON document");
      try {
        return fromJsonString(schema, utf8Decoder.decode(bytes));
      } catch (e) {
        throw invalid("bad Protobuf JSON", e);
      }
    },
  };
}
