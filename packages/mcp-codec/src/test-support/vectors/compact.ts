/**
 * `vectors/compact.json`: the `compact-data` feature (docs/mcp-wire.md §4.7–4.8). The handshake that turns it on,
 * byte sequences a client reads once it is on (each frame's header fields, and the chunk as the receiver rebuilds
 * it: sequence implied, `model` inherited), and the bytes it must refuse, with and without the feature.
 */
import { create, toBinary, toJson } from "@bufbuild/protobuf";
import { GenerateResponseSchema } from "@modelwire/core";
import { COMPACT_DATA_MARKER, encodeCompactDataFrame, encodeFrame, Feature, FrameType } from "../../index.js";
import { err, hex } from "./notation.js";
import { featuresHandshake, R } from "./samples.js";

const MODEL = "llama3.2:1b";
const chunk = (response: string, model = "") => create(GenerateResponseSchema, { model, response });
const pb = (m: ReturnType<typeof chunk>) => toBinary(GenerateResponseSchema, m);
const end = create(GenerateResponseSchema, {
  model: MODEL,
  done: true,
  doneReason: "stop",
  metrics: { evalCount: 3 },
});

/** One frame of a sequence: its bytes, how it is framed, and the chunk the receiver ends up with. */
interface Step {
  bytes: Uint8Array;
  form: "v1" | "compact";
  type: "DATA" | "END";
  streamId: number;
  /** The sequence the receiver assigns (stated in a v1 header, implied for compact). */
  sequence: number;
  payload: Uint8Array;
  /** GenerateResponse JSON after the receiver's rules (protobuf-es toJson). */
  chunk: unknown;
}

const v1 = (type: FrameType.Data | FrameType.End, streamId: number, sequence: number, m: typeof end): Step => {
  const payload = pb(m);
  return {
    bytes: encodeFrame({ type, streamId, sequence, payload }),
    form: "v1",
    type: type === FrameType.Data ? "DATA" : "END",
    streamId,
    sequence,
    payload,
    chunk: toJson(GenerateResponseSchema, m),
  };
};
const compact = (streamId: number, sequence: number, sent: typeof end, rebuilt: typeof end): Step => {
  const payload = pb(sent);
  return {
    bytes: encodeCompactDataFrame(streamId, payload),
    form: "compact",
    type: "DATA",
    streamId,
    sequence,
    payload,
    chunk: toJson(GenerateResponseSchema, rebuilt),
  };
};

const sequences: { name: string; description: string; steps: Step[] }[] = [
  {
    name: "stream-of-three",
    description:
      "Stream 1: a v1 DATA with the model (sequence 0), two compact DATA frames without it (sequences 1 and 2 " +
      "implied, model inherited), the v1 END with sequence 3.",
    steps: [
      v1(FrameType.Data, 1, 0, chunk("The", MODEL)),
      compact(1, 1, chunk(" sky"), chunk(" sky", MODEL)),
      compact(1, 2, chunk(" is"), chunk(" is", MODEL)),
      v1(FrameType.End, 1, 3, end),
    ],
  },
  {
    name: "two-streams-interleaved",
    description:
      "Streams 3 and 5 interleaved: each stream's compact DATA inherits the model of that stream's previous " +
      "DATA and takes that stream's next sequence.",
    steps: [
      v1(FrameType.Data, 3, 0, chunk("a", "m-three")),
      v1(FrameType.Data, 5, 0, chunk("b", "m-five")),
      compact(5, 1, chunk("c"), chunk("c", "m-five")),
      compact(3, 1, chunk("d"), chunk("d", "m-three")),
    ],
  },
  {
    name: "model-present",
    description:
      "A compact DATA payload that does carry field 1 keeps that model (a sender leaves it out only when equal; " +
      "the receiver fills in only an absent or empty one).",
    steps: [v1(FrameType.Data, 7, 0, chunk("x", MODEL)), compact(7, 1, chunk("y", "other"), chunk("y", "other"))],
  },
  {
    name: "empty-payload",
    description: "A compact DATA frame with no payload: an empty chunk of the stream's model (length 0000).",
    steps: [
      v1(FrameType.Data, 9, 0, chunk("z", MODEL)),
      compact(9, 1, create(GenerateResponseSchema), chunk("", MODEL)),
    ],
  },
];

/** A compact DATA header with raw fields (no validation), then `payload`. */
function rawCompact(streamId: number, length: number, payload = new Uint8Array(0)): string {
  const b = new Uint8Array(7 + payload.length);
  const v = new DataView(b.buffer);
  v.setUint8(0, COMPACT_DATA_MARKER);
  v.setUint32(1, streamId);
  v.setUint16(5, length);
  b.set(payload, 7);
  return hex(b);
}

/** The document written to `vectors/compact.json`. */
export const compactVectors = {
  description:
    "MCP (Model Communication Protocol) compact DATA frames, feature 'compact-data' (docs/mcp-wire.md 4.7-4.8). " +
    "Compact frame: da | u32 stream id | u16 length | payload (the chunk without model when it equals the " +
    "stream's previous DATA's). Only after a WELCOME whose 'features' names compact-data, and only server to client.",
  handshake: featuresHandshake(
    Feature.CompactData,
    "HELLO offering compact-data in its metadata key 'features' (comma-separated names), and the WELCOME " +
      "accepting it. A server that does not list it in WELCOME sends v1 DATA only; a v1 server ignores the key.",
  ),
  vectors: sequences.map((s) => ({
    name: s.name,
    description: s.description,
    hex: s.steps.map((x) => hex(x.bytes)).join(""),
    frames: s.steps.map((x) => ({
      form: x.form,
      type: x.type,
      streamId: x.streamId,
      sequence: x.sequence,
      payloadHex: hex(x.payload),
      chunk: x.chunk,
    })),
  })),
  errors: [
    {
      name: "compact-without-feature",
      description:
        "A compact DATA frame on a connection where compact-data is off: read as a v1 header (20 bytes), whose " +
        "first two bytes are not the magic.",
      compactData: false,
      maxFrameSize: 1048576,
      hex: hex(encodeCompactDataFrame(1, pb(chunk(" a longer token")))),
      error: err(R.BadMagic),
    },
    {
      name: "compact-stream-zero",
      description: "A compact DATA frame on stream 0.",
      compactData: true,
      maxFrameSize: 1048576,
      hex: rawCompact(0, 0),
      error: err(R.BadStreamId),
    },
    {
      name: "compact-stream-top-bit",
      description: "A compact DATA frame whose stream id has the reserved top bit set.",
      compactData: true,
      maxFrameSize: 1048576,
      hex: rawCompact(0x80000001, 0),
      error: err(R.ReservedBits),
    },
    {
      name: "compact-too-large",
      description:
        "A compact DATA header announcing 1025 bytes under a 1024-byte limit: refused before any payload is read.",
      compactData: true,
      maxFrameSize: 1024,
      hex: rawCompact(1, 1025),
      error: err(R.FrameTooLarge),
    },
  ],
  sessionErrors: [
    {
      name: "compact-before-data",
      description:
        "A stream's first DATA frame in compact form: it has no model to inherit (client, connection-level).",
      hex: rawCompact(1, 3, new Uint8Array([0x1a, 0x01, 0x61])),
      error: err(R.UnexpectedFrame),
    },
  ],
};
