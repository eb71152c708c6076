/**
 * Writes the committed MCP test vectors (packages/mcp-codec/vectors/*.json). Run once after a wire change:
 * `node --import tsx src/test-support/make-vectors.ts frames > vectors/frames.json` (likewise `errors`, `session`,
 * `server`);
 * it writes to stdout so that nothing in this package imports `node:` modules. The meaning side of each vector is written out by hand
 * below; the codec's tests check both directions (hex → meaning, meaning → hex).
 */
import { create, toBinary, toJson } from "@bufbuild/protobuf";
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
  encodeFrame,
  encodeFrames,
  encodeGoaway,
  encodeHello,
  encodeOpenFrame,
  encodePing,
  encodeWelcome,
  FrameFlag,
  type FrameInit,
  FrameType,
  Method,
  ProtocolErrorReason,
  reasonCode,
} from "../index.js";

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

function frameJson(f: FrameInit, decoded: unknown) {
  return {
    type: FrameType[f.type].toUpperCase(),
    typeValue: f.type,
    flags: f.flags ?? 0,
    dataType: f.dataType ?? 0,
    streamId: f.streamId,
    sequence: f.sequence ?? 0,
    payloadHex: hex(f.payload ?? new Uint8Array(0)),
    decoded,
  };
}

const session = Uint8Array.from({ length: 16 }, (_, i) => i);
const hello = {
  minVersion: 1,
  maxVersion: 1,
  maxFrameSize: 1048576,
  maxStreams: 100,
  heartbeatMs: 5000,
  metadata: { "auth-token": "s3cret", client: "modelwire-mcp/0.1" },
};
const welcome = {
  version: 1,
  maxFrameSize: 1048576,
  maxStreams: 100,
  heartbeatMs: 5000,
  sessionId: session,
  metadata: { server: "modelwire" },
};
const genReq = create(GenerateRequestSchema, { prompt: "Why is the sky blue?" });
const infReq = create(InferenceRequestSchema, {
  modelVersion: "llama3.2:1b",
  inputData: toBinary(GenerateRequestSchema, genReq),
  metadata: { "trace-id": "abc" },
});
const textReq = create(InferenceRequestSchema, {
  modelVersion: "llama3.2:1b",
  inputData: new TextEncoder().encode("hello"),
});
const dataMsg = create(GenerateResponseSchema, { model: "llama3.2:1b", response: "The" });
const endMsg = create(GenerateResponseSchema, {
  model: "llama3.2:1b",
  done: true,
  doneReason: "stop",
  metrics: { evalCount: 2 },
});

function openFrame(streamId: number, dataType: number, method: Method, timeoutMs: number, body: Uint8Array): FrameInit {
  const whole = encodeOpenFrame(streamId, dataType, method, timeoutMs, body);
  return { type: FrameType.Open, dataType, streamId, payload: whole.subarray(20) };
}

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

const frames = {
  description: "Valid MCP (Model Communication Protocol) v1 byte sequences and their meaning. See docs/mcp-wire.md.",
  vectors: valid.map((v) => ({
    name: v.name,
    description: v.description,
    hex: hex(encodeFrames(v.frames.map((f) => f.init))),
    frames: v.frames.map((f) => frameJson(f.init, f.decoded)),
  })),
};

/** A raw 20-byte header with the given fields (no validation), followed by `payload`. */
function raw(
  fields: {
    magic?: number;
    version?: number;
    type: number;
    flags?: number;
    dataType?: number;
    reserved?: number;
    streamId?: number;
    sequence?: number;
    length?: number;
  },
  payload: Uint8Array = new Uint8Array(0),
) {
  const b = new Uint8Array(20 + payload.length);
  const v = new DataView(b.buffer);
  v.setUint16(0, fields.magic ?? 0x4d43);
  v.setUint8(2, fields.version ?? 1);
  v.setUint8(3, fields.type);
  v.setUint8(4, fields.flags ?? 0);
  v.setUint8(5, fields.dataType ?? 0);
  v.setUint16(6, fields.reserved ?? 0);
  v.setUint32(8, fields.streamId ?? 0);
  v.setUint32(12, fields.sequence ?? 0);
  v.setUint32(16, fields.length ?? payload.length);
  b.set(payload, 20);
  return hex(b);
}

const err = (reason: ProtocolErrorReason) => ({
  reason,
  code: reasonCode(reason),
  codeName: codeName(reasonCode(reason)),
});
const R = ProtocolErrorReason;
const errors = {
  description:
    "Invalid MCP v1 input and the coded error each must produce. layer 'frame': the decoder (with maxFrameSize) fails; layer 'payload': the frame decodes, then decoding its payload as `payloadKind` fails.",
  vectors: [
    {
      name: "bad-magic",
      layer: "frame",
      maxFrameSize: 1048576,
      hex: "474554202f20485454502f312e310d0a486f73743a",
      error: err(R.BadMagic),
      description: "An HTTP request line instead of an MCP frame.",
    },
    {
      name: "unsupported-version",
      layer: "frame",
      maxFrameSize: 1048576,
      hex: raw({ version: 2, type: FrameType.Cancel, streamId: 1 }),
      error: err(R.UnsupportedVersion),
    },
    {
      name: "unknown-type-0x0a",
      layer: "frame",
      maxFrameSize: 1048576,
      hex: raw({ type: 0x0a, streamId: 1 }),
      error: err(R.UnknownType),
    },
    {
      name: "unknown-type-0x00",
      layer: "frame",
      maxFrameSize: 1048576,
      hex: raw({ type: 0x00 }),
      error: err(R.UnknownType),
    },
    {
      name: "reserved-field",
      layer: "frame",
      maxFrameSize: 1048576,
      hex: raw({ type: FrameType.Cancel, streamId: 1, reserved: 1 }),
      error: err(R.ReservedBits),
    },
    {
      name: "reserved-flag",
      layer: "frame",
      maxFrameSize: 1048576,
      hex: raw({ type: FrameType.Data, flags: 0x01, streamId: 1 }),
      error: err(R.ReservedBits),
    },
    {
      name: "stream-id-top-bit",
      layer: "frame",
      maxFrameSize: 1048576,
      hex: raw({ type: FrameType.Cancel, streamId: 0x80000001 }),
      error: err(R.ReservedBits),
    },
    {
      name: "sequence-on-cancel",
      layer: "frame",
      maxFrameSize: 1048576,
      hex: raw({ type: FrameType.Cancel, streamId: 1, sequence: 4 }),
      error: err(R.ReservedBits),
    },
    {
      name: "ping-on-stream",
      layer: "frame",
      maxFrameSize: 1048576,
      hex: raw({ type: FrameType.Ping, streamId: 5 }, new Uint8Array(8)),
      error: err(R.BadStreamId),
    },
    {
      name: "data-on-stream-0",
      layer: "frame",
      maxFrameSize: 1048576,
      hex: raw({ type: FrameType.Data, streamId: 0 }),
      error: err(R.BadStreamId),
    },
    {
      name: "data-type-on-data",
      layer: "frame",
      maxFrameSize: 1048576,
      hex: raw({ type: FrameType.Data, streamId: 1, dataType: 4 }),
      error: err(R.BadDataType),
    },
    {
      name: "unknown-data-type",
      layer: "frame",
      maxFrameSize: 1048576,
      hex: raw({ type: FrameType.Open, streamId: 1, dataType: 7 }, new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0])),
      error: err(R.BadDataType),
    },
    {
      name: "frame-too-large",
      layer: "frame",
      maxFrameSize: 1024,
      hex: raw({ type: FrameType.Data, streamId: 1, length: 1025 }),
      error: err(R.FrameTooLarge),
      description: "Header announces 1025 bytes over a 1024-byte limit; fails before any payload arrives.",
    },
    {
      name: "huge-length",
      layer: "frame",
      maxFrameSize: 1048576,
      hex: raw({ type: FrameType.Data, streamId: 1, length: 0xffffffff }),
      error: err(R.FrameTooLarge),
    },
    {
      name: "ping-wrong-length",
      layer: "frame",
      maxFrameSize: 1048576,
      hex: raw({ type: FrameType.Ping }, new Uint8Array(4)),
      error: err(R.BadPayload),
    },
    {
      name: "cancel-with-payload",
      layer: "frame",
      maxFrameSize: 1048576,
      hex: raw({ type: FrameType.Cancel, streamId: 1 }, new Uint8Array(1)),
      error: err(R.BadPayload),
    },
    {
      name: "hello-too-short",
      layer: "frame",
      maxFrameSize: 1048576,
      hex: raw({ type: FrameType.Hello }, new Uint8Array(8)),
      error: err(R.BadPayload),
    },
    {
      name: "open-unknown-method",
      layer: "payload",
      payloadKind: "open",
      maxFrameSize: 1048576,
      hex: raw({ type: FrameType.Open, streamId: 1 }, new Uint8Array([9, 0, 0, 0, 0, 0, 0, 0])),
      error: err(R.BadPayload),
    },
    {
      name: "open-reserved",
      layer: "payload",
      payloadKind: "open",
      maxFrameSize: 1048576,
      hex: raw({ type: FrameType.Open, streamId: 1 }, new Uint8Array([1, 1, 0, 0, 0, 0, 0, 0])),
      error: err(R.ReservedBits),
    },
    {
      name: "hello-empty-version-range",
      layer: "payload",
      payloadKind: "hello",
      maxFrameSize: 1048576,
      hex: raw({ type: FrameType.Hello }, new Uint8Array([2, 1, 0, 0, 0, 16, 0, 0, 0, 0, 0, 100, 0, 0, 19, 136])),
      error: err(R.BadPayload),
    },
    {
      name: "hello-truncated-metadata",
      layer: "payload",
      payloadKind: "hello",
      maxFrameSize: 1048576,
      hex: raw(
        { type: FrameType.Hello },
        new Uint8Array([1, 1, 0, 0, 0, 16, 0, 0, 0, 0, 0, 100, 0, 0, 19, 136, 0, 1, 0, 9, 0x61]),
      ),
      error: err(R.BadPayload),
    },
    {
      name: "metadata-bad-utf8",
      layer: "payload",
      payloadKind: "hello",
      maxFrameSize: 1048576,
      hex: raw(
        { type: FrameType.Hello },
        new Uint8Array([1, 1, 0, 0, 0, 16, 0, 0, 0, 0, 0, 100, 0, 0, 19, 136, 0, 1, 0, 1, 0xff, 0, 0]),
      ),
      error: err(R.BadPayload),
    },
    {
      name: "error-code-zero",
      layer: "payload",
      payloadKind: "error",
      maxFrameSize: 1048576,
      hex: raw({ type: FrameType.Error, streamId: 1 }, new Uint8Array([0, 0, 0, 0])),
      error: err(R.BadPayload),
    },
    {
      name: "goaway-length-mismatch",
      layer: "payload",
      payloadKind: "goaway",
      maxFrameSize: 1048576,
      hex: raw({ type: FrameType.Goaway }, new Uint8Array([0, 0, 0, 1, 0, 0, 0, 5, 0x61])),
      error: err(R.BadPayload),
    },
    {
      name: "welcome-short-session",
      layer: "frame",
      maxFrameSize: 1048576,
      hex: raw({ type: FrameType.Welcome }, new Uint8Array(20)),
      error: err(R.BadPayload),
    },
    // Minimum payload sizes, checked with the header (§2): OPEN 8, ERROR 4, GOAWAY 8 (PING and CANCEL are exact).
    {
      name: "open-too-short",
      layer: "frame",
      maxFrameSize: 1048576,
      hex: raw({ type: FrameType.Open, streamId: 1 }, new Uint8Array([1, 0, 0, 0])),
      error: err(R.BadPayload),
    },
    {
      name: "error-too-short",
      layer: "frame",
      maxFrameSize: 1048576,
      hex: raw({ type: FrameType.Error, streamId: 1 }, new Uint8Array([0, 3])),
      error: err(R.BadPayload),
    },
    {
      name: "goaway-too-short",
      layer: "frame",
      maxFrameSize: 1048576,
      hex: raw({ type: FrameType.Goaway }, new Uint8Array(4)),
      error: err(R.BadPayload),
    },
    // maxFrameSize below the protocol's 1024 in HELLO or WELCOME (§4.1, §4.2).
    {
      name: "hello-max-frame-size-zero",
      layer: "payload",
      payloadKind: "hello",
      maxFrameSize: 1048576,
      hex: raw({ type: FrameType.Hello }, encodeHello({ ...hello, maxFrameSize: 0, metadata: {} })),
      error: err(R.BadPayload),
    },
    {
      name: "hello-max-frame-size-1023",
      layer: "payload",
      payloadKind: "hello",
      maxFrameSize: 1048576,
      hex: raw({ type: FrameType.Hello }, encodeHello({ ...hello, maxFrameSize: 1023, metadata: {} })),
      error: err(R.BadPayload),
    },
    {
      name: "welcome-max-frame-size-1023",
      layer: "payload",
      payloadKind: "welcome",
      maxFrameSize: 1048576,
      hex: raw({ type: FrameType.Welcome }, encodeWelcome({ ...welcome, maxFrameSize: 1023, metadata: {} })),
      error: err(R.BadPayload),
    },
    // ERROR payloads (§4.4), whoever sends them.
    {
      name: "error-code-17",
      layer: "payload",
      payloadKind: "error",
      maxFrameSize: 1048576,
      hex: raw({ type: FrameType.Error, streamId: 1 }, new Uint8Array([0, 17, 0, 0])),
      error: err(R.BadPayload),
    },
    {
      name: "error-message-past-end",
      layer: "payload",
      payloadKind: "error",
      maxFrameSize: 1048576,
      hex: raw({ type: FrameType.Error, streamId: 1 }, new Uint8Array([0, 1, 0, 10, 0x62, 0x79])),
      error: err(R.BadPayload),
    },
    {
      name: "error-truncated-metadata",
      layer: "payload",
      payloadKind: "error",
      maxFrameSize: 1048576,
      hex: raw({ type: FrameType.Error, streamId: 1 }, new Uint8Array([0, 1, 0, 0, 0, 1, 0, 6, 0x72, 0x65])),
      error: err(R.BadPayload),
    },
  ],
};

const helloHex = hex(
  encodeFrame({ type: FrameType.Hello, streamId: 0, payload: encodeHello({ ...hello, metadata: {} }) }),
);
const open1 = hex(encodeOpenFrame(1, DataType.UNSPECIFIED, Method.List, 0, new Uint8Array(0)));
/** Malformed ERROR payloads a client might send (stream 1 unless 0), for the session vectors. */
const clientErrorPayloads: [string, number, Uint8Array][] = [
  ["error-code-zero", 1, new Uint8Array([0, 0, 0, 0])],
  ["error-code-17", 1, new Uint8Array([0, 17, 0, 0])],
  ["error-message-past-end", 1, new Uint8Array([0, 1, 0, 10, 0x62, 0x79])],
  ["error-truncated-metadata", 1, new Uint8Array([0, 1, 0, 0, 0, 1, 0, 6, 0x72, 0x65])],
  ["connection-error-code-zero", 0, new Uint8Array([0, 0, 0, 0])],
];
const sessionVectors = {
  description:
    "Connection-level rules a server enforces (beyond single frames). The client sends `clientHex` (frames in order) to a server configured with `serverAuthToken` (if given); the server must answer with an ERROR on stream 0 carrying `error` and close the connection.",
  vectors: [
    { name: "open-before-hello", clientHex: open1, error: err(R.UnexpectedFrame) },
    { name: "reused-stream-id", clientHex: helloHex + open1 + open1, error: err(R.StreamIdReused) },
    {
      name: "decreasing-stream-id",
      clientHex:
        helloHex +
        hex(encodeOpenFrame(5, 0, Method.List, 0, new Uint8Array(0))) +
        hex(encodeOpenFrame(3, 0, Method.List, 0, new Uint8Array(0))),
      error: err(R.StreamIdReused),
    },
    {
      name: "data-from-client",
      clientHex: helloHex + hex(encodeFrame({ type: FrameType.Data, streamId: 1 })),
      error: err(R.UnexpectedFrame),
    },
    { name: "second-hello", clientHex: helloHex + helloHex, error: err(R.UnexpectedFrame) },
    {
      name: "no-common-version",
      clientHex: hex(
        encodeFrame({
          type: FrameType.Hello,
          streamId: 0,
          payload: encodeHello({ ...hello, minVersion: 2, maxVersion: 3, metadata: {} }),
        }),
      ),
      error: err(R.VersionMismatch),
    },
    {
      name: "wrong-auth-token",
      serverAuthToken: "s3cret",
      clientHex: hex(
        encodeFrame({
          type: FrameType.Hello,
          streamId: 0,
          payload: encodeHello({ ...hello, metadata: { "auth-token": "guess" } }),
        }),
      ),
      error: err(R.Unauthenticated),
    },
    {
      name: "missing-auth-token",
      serverAuthToken: "s3cret",
      clientHex: helloHex,
      error: err(R.Unauthenticated),
    },
    { name: "garbage", clientHex: "deadbeefdeadbeefdeadbeefdeadbeefdeadbeef", error: err(R.BadMagic) },
    // A client's ERROR is read like any allowed frame: a malformed payload is bad_payload (§4.4, §5 rule 5).
    ...clientErrorPayloads.map(([name, streamId, payload]) => ({
      name: `client-${name}`,
      clientHex: helloHex + raw({ type: FrameType.Error, streamId }, payload),
      error: err(R.BadPayload),
    })),
    {
      name: "hello-max-frame-size-zero",
      clientHex: hex(
        encodeFrame({
          type: FrameType.Hello,
          streamId: 0,
          payload: encodeHello({ ...hello, maxFrameSize: 0, metadata: {} }),
        }),
      ),
      error: err(R.BadPayload),
    },
    // Direction and state come before the payload: a frame a client may not send is unexpected_frame, however
    // malformed its payload (§5 rule 5).
    {
      name: "client-goaway-malformed",
      clientHex: helloHex + raw({ type: FrameType.Goaway }, new Uint8Array([0, 0, 0, 1, 0, 0, 0, 5, 0x61])),
      error: err(R.UnexpectedFrame),
    },
    {
      name: "client-welcome",
      clientHex:
        helloHex +
        hex(
          encodeFrame({ type: FrameType.Welcome, streamId: 0, payload: encodeWelcome({ ...welcome, metadata: {} }) }),
        ),
      error: err(R.UnexpectedFrame),
    },
    {
      name: "open-unknown-method",
      clientHex: helloHex + raw({ type: FrameType.Open, streamId: 1 }, new Uint8Array([9, 0, 0, 0, 0, 0, 0, 0])),
      error: err(R.BadPayload),
    },
    {
      name: "handshake-timeout",
      serverOptions: { handshakeTimeoutMs: 300 },
      clientHex: "",
      error: err(R.HandshakeTimeout),
      description: "The client connects and sends nothing; the server gives up after its handshake timeout.",
    },
  ],
};

/** HELLO with the given negotiation fields and no metadata. */
function helloWith(maxFrameSize: number, maxStreams: number, heartbeatMs: number): string {
  return hex(
    encodeFrame({
      type: FrameType.Hello,
      streamId: 0,
      payload: encodeHello({ minVersion: 1, maxVersion: 1, maxFrameSize, maxStreams, heartbeatMs, metadata: {} }),
    }),
  );
}
const welcomeOf = (maxFrameSize: number, maxStreams: number, heartbeatMs: number) => ({
  type: "WELCOME",
  streamId: 0,
  welcome: { version: 1, maxFrameSize, maxStreams, heartbeatMs },
});
const textOpen = (streamId: number, method: Method, model: string, text: string) =>
  hex(
    encodeOpenFrame(
      streamId,
      DataType.TEXT,
      method,
      0,
      toBinary(
        InferenceRequestSchema,
        create(InferenceRequestSchema, { modelVersion: model, inputData: new TextEncoder().encode(text) }),
      ),
    ),
  );
const serverVectors = {
  description:
    "What a server answers, frame by frame, when the connection survives or closes without an ERROR. A server built with `serverOptions` (names of @modelwire/mcp's server options: maxFrameSize, maxStreamsPerConnection, heartbeatMs) in front of the synthetic engine with `engine` knobs receives `clientHex`; it must send exactly the frames of `expect`, in order (WELCOME: the negotiated fields; ERROR: the code, and the metadata entries listed; PING: the payload; END: the stream), and nothing else. `after` is `open` when the connection must still answer a PING with its ACK, `closed` when the server must close it without sending anything more.",
  vectors: [
    {
      name: "welcome-clamps-to-the-server",
      serverOptions: { maxFrameSize: 65536, maxStreamsPerConnection: 128, heartbeatMs: 5000 },
      clientHex: helloWith(1 << 30, 1000, 1),
      expect: [welcomeOf(65536, 128, 100)],
      after: "open",
      description: "maxFrameSize = min(client, server); maxStreams = min; a heartbeat below 100 ms is raised to 100.",
    },
    {
      name: "welcome-follows-a-smaller-client",
      serverOptions: { maxFrameSize: 65536, maxStreamsPerConnection: 128, heartbeatMs: 5000 },
      clientHex: helloWith(1024, 4, 700000),
      expect: [welcomeOf(1024, 4, 600000)],
      after: "open",
      description: "1024 is the smallest maxFrameSize a HELLO may carry; a heartbeat above 600000 ms is lowered to it.",
    },
    {
      name: "welcome-no-preferences",
      serverOptions: { maxFrameSize: 65536, maxStreamsPerConnection: 128, heartbeatMs: 5000 },
      clientHex: helloWith(4096, 0, 0),
      expect: [welcomeOf(4096, 128, 5000)],
      after: "open",
      description: "maxStreams 0 and heartbeatMs 0 leave the choice to the server.",
    },
    {
      name: "welcome-heartbeats-off",
      serverOptions: { maxFrameSize: 65536, maxStreamsPerConnection: 128, heartbeatMs: 0 },
      clientHex: helloWith(4096, 0, 0),
      expect: [welcomeOf(4096, 128, 0)],
      after: "open",
      description: "Heartbeats are off only when the client leaves the choice to a server whose own choice is none.",
    },
    {
      name: "welcome-client-turns-heartbeats-on",
      serverOptions: { maxFrameSize: 65536, maxStreamsPerConnection: 128, heartbeatMs: 0 },
      clientHex: helloWith(4096, 0, 250),
      expect: [welcomeOf(4096, 128, 250)],
      after: "open",
    },
    {
      name: "reply-too-large-fails-the-stream",
      serverOptions: { maxFrameSize: 65536 },
      clientHex: helloWith(1024, 0, 0) + textOpen(1, Method.Embed, "synthetic-embed", "hello"),
      expect: [
        welcomeOf(1024, 128, 5000),
        { type: "ERROR", streamId: 1, error: { code: Code.ResourceExhausted, metadata: { limit: "1024" } } },
      ],
      after: "open",
      description:
        "A 384-dimension EmbedResponse (over 1.5 KB) cannot fit the negotiated 1024 bytes: the stream fails with RESOURCE_EXHAUSTED naming the limit; the connection stays.",
    },
    {
      name: "client-stream-error-acts-as-cancel",
      serverOptions: { maxStreamsPerConnection: 1 },
      engine: { ttftMs: 600000 },
      clientHex:
        helloWith(65536, 0, 0) +
        textOpen(1, Method.Generate, "synthetic", "never answered") +
        raw(
          { type: FrameType.Error, streamId: 1 },
          encodeErrorPayload({ code: Code.Canceled, message: "gave up", metadata: {} }),
        ) +
        hex(encodeOpenFrame(3, DataType.UNSPECIFIED, Method.Version, 0, new Uint8Array(0))),
      expect: [welcomeOf(65536, 1, 5000), { type: "END", streamId: 3 }],
      after: "open",
      description:
        "A stream ERROR from the client ends that stream as CANCEL does: nothing more is sent for it and its slot is free at once (the connection allows one stream; stream 3 is served).",
    },
    {
      name: "client-connection-error-closes-silently",
      clientHex:
        helloWith(65536, 0, 0) +
        raw({ type: FrameType.Error }, encodeErrorPayload({ code: Code.Canceled, message: "bye", metadata: {} })),
      expect: [welcomeOf(65536, 128, 5000)],
      after: "closed",
      description: "An ERROR on stream 0 from the client: the server aborts its streams and closes, answering nothing.",
    },
    {
      name: "malformed-inference-request-fails-the-stream",
      clientHex:
        helloWith(65536, 0, 0) +
        hex(encodeOpenFrame(1, DataType.GENERATE_REQUEST, Method.Generate, 0, new Uint8Array([0xff, 0xff, 0xff]))),
      expect: [welcomeOf(65536, 128, 5000), { type: "ERROR", streamId: 1, error: { code: Code.InvalidArgument } }],
      after: "open",
      description:
        "The OPEN prefix is the frame's (a bad method is bad_payload on the connection); the InferenceRequest body is the stream's: undecodable Protobuf fails that stream only.",
    },
    {
      name: "ping-payload-is-opaque",
      clientHex:
        helloWith(65536, 0, 0) +
        hex(encodeFrame({ type: FrameType.Ping, streamId: 0, payload: new Uint8Array(8).fill(0xff) })),
      expect: [
        welcomeOf(65536, 128, 5000),
        { type: "PING", streamId: 0, flags: FrameFlag.Ack, payloadHex: "ffffffffffffffff" },
      ],
      after: "open",
      description:
        "The 8 bytes are echoed as they are (here a NaN if read as a float64): the receiver never reads them.",
    },
  ],
};

const which = process.argv[2];
const docs: Record<string, unknown> = { frames, errors, session: sessionVectors, server: serverVectors };
if (!which || !(which in docs)) throw new Error("usage: make-vectors.ts frames|errors|session|server");
process.stdout.write(`${JSON.stringify(docs[which], null, 2)}\n`);
