/** `vectors/server.json`: what a server answers, frame by frame, when the connection survives or closes silently. */
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, DataType, InferenceRequestSchema } from "@modelwire/core";
import {
  encodeErrorPayload,
  encodeFrame,
  encodeHello,
  encodeOpenFrame,
  FrameFlag,
  FrameType,
  Method,
} from "../../index.js";
import { hex, raw } from "./notation.js";

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
/** The document written to `vectors/server.json`. */
export const serverVectors = {
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
