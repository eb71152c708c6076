/** The sample messages the vectors share: a HELLO/WELCOME pair, requests and replies, a bare OPEN. */
import { create, toBinary } from "@bufbuild/protobuf";
import { DataType, GenerateRequestSchema, GenerateResponseSchema, InferenceRequestSchema } from "@modelwire/core";
import {
  encodeFrame,
  encodeHello,
  encodeOpenFrame,
  encodeWelcome,
  FEATURES_KEY,
  type FrameInit,
  FrameType,
  Method,
  ProtocolErrorReason,
} from "../../index.js";
import { hex } from "./notation.js";

/** The WELCOME's session id, bytes 00..0f. */
export const session = Uint8Array.from({ length: 16 }, (_, i) => i);
/** The client HELLO the vectors start from (token and client name in its metadata). */
export const hello = {
  minVersion: 1,
  maxVersion: 1,
  maxFrameSize: 1048576,
  maxStreams: 100,
  heartbeatMs: 5000,
  metadata: { "auth-token": "s3cret", client: "modelwire-mcp/0.1" },
};
/** The server WELCOME answering it. */
export const welcome = {
  version: 1,
  maxFrameSize: 1048576,
  maxStreams: 100,
  heartbeatMs: 5000,
  sessionId: session,
  metadata: { server: "modelwire" },
};
/** A GenerateRequest, and the InferenceRequest carrying it as Protobuf. */
export const genReq = create(GenerateRequestSchema, { prompt: "Why is the sky blue?" });
export const infReq = create(InferenceRequestSchema, {
  modelVersion: "llama3.2:1b",
  inputData: toBinary(GenerateRequestSchema, genReq),
  metadata: { "trace-id": "abc" },
});
/** An InferenceRequest with TEXT input. */
export const textReq = create(InferenceRequestSchema, {
  modelVersion: "llama3.2:1b",
  inputData: new TextEncoder().encode("hello"),
});
/** A reply chunk and the final reply. */
export const dataMsg = create(GenerateResponseSchema, { model: "llama3.2:1b", response: "The" });
export const endMsg = create(GenerateResponseSchema, {
  model: "llama3.2:1b",
  done: true,
  doneReason: "stop",
  metrics: { evalCount: 2 },
});

/** The OPEN frame for a body, as a `FrameInit` (header fields + payload after the 20-byte header). */
export function openFrame(
  streamId: number,
  dataType: number,
  method: Method,
  timeoutMs: number,
  body: Uint8Array,
): FrameInit {
  const whole = encodeOpenFrame(streamId, dataType, method, timeoutMs, body);
  return { type: FrameType.Open, dataType, streamId, payload: whole.subarray(20) };
}

/** Short name for the reasons the vectors cite. */
export const R = ProtocolErrorReason;

/** The HELLO without metadata, and a bare OPEN of List on stream 1, as hex. */
export const helloHex = hex(
  encodeFrame({ type: FrameType.Hello, streamId: 0, payload: encodeHello({ ...hello, metadata: {} }) }),
);
export const open1 = hex(encodeOpenFrame(1, DataType.UNSPECIFIED, Method.List, 0, new Uint8Array(0)));

/**
 * A feature handshake for the vector files (§4.7): the HELLO offering `names` in its metadata key `features` and the
 * WELCOME accepting them, as hex and as decoded fields.
 */
export function featuresHandshake(names: string, description: string) {
  const offered = { ...hello, metadata: { ...hello.metadata, [FEATURES_KEY]: names } };
  const accepted = { ...welcome, metadata: { ...welcome.metadata, [FEATURES_KEY]: names } };
  return {
    description,
    helloHex: hex(encodeFrame({ type: FrameType.Hello, streamId: 0, payload: encodeHello(offered) })),
    hello: offered,
    welcomeHex: hex(encodeFrame({ type: FrameType.Welcome, streamId: 0, payload: encodeWelcome(accepted) })),
    welcome: { ...accepted, sessionId: hex(session) },
  };
}
