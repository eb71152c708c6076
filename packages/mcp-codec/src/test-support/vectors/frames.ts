/** `vectors/frames.json`: valid byte sequences and their meaning. */
import { toBinary, toJson } from "@bufbuild/protobuf";
import {
  Code,
  codeName,
  DataType,
  GenerateRequestSchema,
  GenerateResponseSchema,
  InferenceRequestSchema,
} from "@modelwire/core";
import {
  encodeErrorPayload,
  encodeFrames,
  encodeGoaway,
  encodeHello,
  encodePing,
  encodeWelcome,
  FrameFlag,
  type FrameInit,
  FrameType,
  Method,
} from "../../index.js";
import { frameJson, hex } from "./notation.js";
import { dataMsg, endMsg, genReq, hello, infReq, openFrame, session, textReq, welcome } from "./samples.js";

const valid: { name: string; description: string; frames: { init: FrameInit; decoded: unknown }[] }[] = [
  {
    name: "hello",
    description: "Client HELLO: version 1 only, 1 MiB frames, 100 streams, 5 s heartbeat, token and client name.",
    frames: [{ init: { type: FrameType.Hello, streamId: 0, payload: encodeHello(hello) }, decoded: hello }],
  },
  {
    name: "welcome",
    description: "Server WELCOME with session id 000102…0f.",
    frames: [
      {
        init: { type: FrameType.Welcome, streamId: 0, payload: encodeWelcome(welcome) },
        decoded: { ...welcome, sessionId: hex(session) },
      },
    ],
  },
  {
    name: "open-generate",
    description:
      "OPEN stream 1: generate, 30 s deadline, data type GENERATE_REQUEST, InferenceRequest wrapping a GenerateRequest.",
    frames: [
      {
        init: openFrame(1, DataType.GENERATE_REQUEST, Method.Generate, 30000, toBinary(InferenceRequestSchema, infReq)),
        decoded: {
          method: "generate",
          timeoutMs: 30000,
          inferenceRequest: toJson(InferenceRequestSchema, infReq),
          input: toJson(GenerateRequestSchema, genReq),
        },
      },
    ],
  },
  {
    name: "open-text",
    description: "OPEN stream 3: generate from a bare UTF-8 prompt (data type TEXT), no deadline.",
    frames: [
      {
        init: openFrame(3, DataType.TEXT, Method.Generate, 0, toBinary(InferenceRequestSchema, textReq)),
        decoded: {
          method: "generate",
          timeoutMs: 0,
          inferenceRequest: toJson(InferenceRequestSchema, textReq),
          input: "hello",
        },
      },
    ],
  },
  {
    name: "open-list",
    description: "OPEN stream 5: list models; empty InferenceRequest, data type UNSPECIFIED.",
    frames: [
      {
        init: openFrame(5, DataType.UNSPECIFIED, Method.List, 0, new Uint8Array(0)),
        decoded: { method: "list", timeoutMs: 0, inferenceRequest: {} },
      },
    ],
  },
  {
    name: "data",
    description: "DATA stream 1, sequence 0: a GenerateResponse token.",
    frames: [
      {
        init: { type: FrameType.Data, streamId: 1, sequence: 0, payload: toBinary(GenerateResponseSchema, dataMsg) },
        decoded: { message: "modelwire.v1.GenerateResponse", json: toJson(GenerateResponseSchema, dataMsg) },
      },
    ],
  },
  {
    name: "end",
    description: "END stream 1, sequence 2 (two DATA frames came before): the final chunk with metrics.",
    frames: [
      {
        init: { type: FrameType.End, streamId: 1, sequence: 2, payload: toBinary(GenerateResponseSchema, endMsg) },
        decoded: { message: "modelwire.v1.GenerateResponse", json: toJson(GenerateResponseSchema, endMsg) },
      },
    ],
  },
  {
    name: "error-stream",
    description: "ERROR on stream 3: RESOURCE_EXHAUSTED (server overloaded); the stream ends.",
    frames: [
      {
        init: {
          type: FrameType.Error,
          streamId: 3,
          payload: encodeErrorPayload({ code: Code.ResourceExhausted, message: "server overloaded", metadata: {} }),
        },
        decoded: {
          code: Code.ResourceExhausted,
          codeName: codeName(Code.ResourceExhausted),
          message: "server overloaded",
          metadata: {},
        },
      },
    ],
  },
  {
    name: "error-connection",
    description: "ERROR on stream 0: connection-level protocol error; the sender closes the connection after it.",
    frames: [
      {
        init: {
          type: FrameType.Error,
          streamId: 0,
          payload: encodeErrorPayload({
            code: Code.InvalidArgument,
            message: "bad magic",
            metadata: { reason: "bad_magic" },
          }),
        },
        decoded: {
          code: Code.InvalidArgument,
          codeName: codeName(Code.InvalidArgument),
          message: "bad magic",
          metadata: { reason: "bad_magic" },
        },
      },
    ],
  },
  {
    name: "cancel",
    description: "CANCEL stream 5 (empty payload).",
    frames: [{ init: { type: FrameType.Cancel, streamId: 5 }, decoded: null }],
  },
  {
    name: "ping",
    description: "PING carrying the float64 1234.5 (sender's clock, ms).",
    frames: [{ init: { type: FrameType.Ping, streamId: 0, payload: encodePing(1234.5) }, decoded: { value: 1234.5 } }],
  },
  {
    name: "ping-ack",
    description: "PING with the ACK flag: the pong echoing the same 8 bytes.",
    frames: [
      {
        init: { type: FrameType.Ping, flags: FrameFlag.Ack, streamId: 0, payload: encodePing(1234.5) },
        decoded: { value: 1234.5 },
      },
    ],
  },
  {
    name: "goaway",
    description: "GOAWAY: last accepted stream 7, graceful (code 0).",
    frames: [
      {
        init: {
          type: FrameType.Goaway,
          streamId: 0,
          payload: encodeGoaway({ lastStreamId: 7, code: Code.Ok, message: "shutting down" }),
        },
        decoded: { lastStreamId: 7, code: 0, message: "shutting down" },
      },
    ],
  },
  {
    name: "two-frames",
    description: "Two frames back to back in one buffer: DATA then END on stream 9.",
    frames: [
      {
        init: { type: FrameType.Data, streamId: 9, sequence: 0, payload: toBinary(GenerateResponseSchema, dataMsg) },
        decoded: { message: "modelwire.v1.GenerateResponse", json: toJson(GenerateResponseSchema, dataMsg) },
      },
      {
        init: { type: FrameType.End, streamId: 9, sequence: 1, payload: toBinary(GenerateResponseSchema, endMsg) },
        decoded: { message: "modelwire.v1.GenerateResponse", json: toJson(GenerateResponseSchema, endMsg) },
      },
    ],
  },
];

/** The document written to `vectors/frames.json`: each valid sequence, its hex and its frames decoded. */
export const frames = {
  description: "Valid MCP (Model Communication Protocol) v1 byte sequences and their meaning. See docs/mcp-wire.md.",
  vectors: valid.map((v) => ({
    name: v.name,
    description: v.description,
    hex: hex(encodeFrames(v.frames.map((f) => f.init))),
    frames: v.frames.map((f) => frameJson(f.init, f.decoded)),
  })),
};
