/** `vectors/session.json`: connection-level rules a server enforces with an ERROR on stream 0, then a close. */
import { encodeFrame, encodeHello, encodeOpenFrame, encodeWelcome, FrameType, Method } from "../../index.js";
import { err, hex, raw } from "./notation.js";
import { hello, helloHex, open1, R, welcome } from "./samples.js";

/** Malformed ERROR payloads a client might send (stream 1 unless 0), for the session vectors. */
const clientErrorPayloads: [string, number, Uint8Array][] = [
  ["error-code-zero", 1, new Uint8Array([0, 0, 0, 0])],
  ["error-code-17", 1, new Uint8Array([0, 17, 0, 0])],
  ["error-message-past-end", 1, new Uint8Array([0, 1, 0, 10, 0x62, 0x79])],
  ["error-truncated-metadata", 1, new Uint8Array([0, 1, 0, 0, 0, 1, 0, 6, 0x72, 0x65])],
  ["connection-error-code-zero", 0, new Uint8Array([0, 0, 0, 0])],
];
/** The document written to `vectors/session.json`. */
export const sessionVectors = {
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
