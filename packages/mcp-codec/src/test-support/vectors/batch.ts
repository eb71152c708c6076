/**
 * `vectors/batch.json`: the `batch-data` feature (docs/mcp-wire.md §4.9). The handshake that turns it on (offered
 * with compact-data, as the reference client does), byte sequences a client reads once it is on (each frame's
 * header fields, each batched entry and the chunk the receiver rebuilds from it: sequences implied, `model`
 * inherited), and the bytes it must refuse, with and without the feature.
 */
import { create, toBinary, toJson } from "@bufbuild/protobuf";
import { GenerateResponseSchema } from "@modelwire/core";
import {
  BATCH_DATA_MARKER,
  encodeBatchDataFrame,
  encodeCompactDataFrame,
  encodeFrame,
  Feature,
  FrameType,
  type ProtocolErrorReason,
} from "../../index.js";
import { err, hex } from "./notation.js";
import { featuresHandshake, R } from "./samples.js";

const MODEL = "llama3.2:1b";
type Chunk = ReturnType<typeof create<typeof GenerateResponseSchema>>;
const chunk = (response: string, model = ""): Chunk => create(GenerateResponseSchema, { model, response });
const pb = (m: Chunk) => toBinary(GenerateResponseSchema, m);
const json = (m: Chunk) => toJson(GenerateResponseSchema, m);
const end = (evalCount: number) =>
  create(GenerateResponseSchema, { model: MODEL, done: true, doneReason: "stop", metrics: { evalCount } });

/** One frame of a sequence: its bytes, how it is framed, and the chunks the receiver ends up with. */
interface Step {
  bytes: Uint8Array;
  form: "v1" | "compact" | "batch";
  type: "DATA" | "END";
  streamId: number;
  /** The sequence of each chunk the frame carries (stated in a v1 header, implied otherwise). */
  sequences: number[];
  /** Each chunk's payload (a v1 or compact frame's whole payload; a batch's entries without their prefixes). */
  payloadsHex: string[];
  /** GenerateResponse JSON of each chunk after the receiver's rules (protobuf-es toJson). */
  chunks: unknown[];
}

const v1 = (type: FrameType.Data | FrameType.End, streamId: number, sequence: number, m: Chunk): Step => ({
  bytes: encodeFrame({ type, streamId, sequence, payload: pb(m) }),
  form: "v1",
  type: type === FrameType.Data ? "DATA" : "END",
  streamId,
  sequences: [sequence],
  payloadsHex: [hex(pb(m))],
  chunks: [json(m)],
});
const compact = (streamId: number, sequence: number, sent: Chunk, rebuilt: Chunk): Step => ({
  bytes: encodeCompactDataFrame(streamId, pb(sent)),
  form: "compact",
  type: "DATA",
  streamId,
  sequences: [sequence],
  payloadsHex: [hex(pb(sent))],
  chunks: [json(rebuilt)],
});
/** A batched DATA frame of `sent` chunks starting at sequence `first`; `rebuilt` what the receiver makes of them. */
const batch = (streamId: number, first: number, sent: Chunk[], rebuilt: Chunk[]): Step => ({
  bytes: encodeBatchDataFrame(streamId, sent.map(pb)),
  form: "batch",
  type: "DATA",
  streamId,
  sequences: sent.map((_, i) => first + i),
  payloadsHex: sent.map((m) => hex(pb(m))),
  chunks: rebuilt.map(json),
});
const texts = (words: string[], model = "") => words.map((w) => chunk(w, model));

const sequences: { name: string; description: string; steps: Step[] }[] = [
  {
    name: "batch-of-three",
    description:
      "Stream 1: a v1 DATA with the model (sequence 0), one batched DATA of three chunks without it (sequences " +
      "1, 2, 3 implied, model inherited), the v1 END with sequence 4 (the count of chunks before it).",
    steps: [
      v1(FrameType.Data, 1, 0, chunk("The", MODEL)),
      batch(1, 1, texts([" sky", " is", " blue"]), texts([" sky", " is", " blue"], MODEL)),
      v1(FrameType.End, 1, 4, end(4)),
    ],
  },
  {
    name: "batches-and-compact-interleaved",
    description:
      "Streams 3 and 5 interleaved, compact-data on too: each stream's batch entries and compact DATA take that " +
      "stream's next sequences and inherit the model of that stream's previous chunk.",
    steps: [
      v1(FrameType.Data, 3, 0, chunk("a", "m-three")),
      v1(FrameType.Data, 5, 0, chunk("b", "m-five")),
      batch(5, 1, texts(["c", "d"]), texts(["c", "d"], "m-five")),
      batch(3, 1, texts(["e"]), texts(["e"], "m-three")),
      compact(5, 3, chunk("f"), chunk("f", "m-five")),
      batch(3, 2, texts(["g", "h"]), texts(["g", "h"], "m-three")),
      v1(FrameType.End, 5, 4, end(4)),
    ],
  },
  {
    name: "model-change-inside-a-batch",
    description:
      "An entry that carries field 1 keeps that model, and the entries after it without one inherit it (each " +
      "entry means what one compact DATA frame would).",
    steps: [
      v1(FrameType.Data, 7, 0, chunk("x", MODEL)),
      batch(
        7,
        1,
        [chunk("y"), chunk("z", "other"), chunk("w")],
        [chunk("y", MODEL), chunk("z", "other"), chunk("w", "other")],
      ),
    ],
  },
  {
    name: "empty-entries",
    description: "Entries of length 0 (prefix 00): empty chunks of the stream's model.",
    steps: [
      v1(FrameType.Data, 9, 0, chunk("z", MODEL)),
      batch(9, 1, [create(GenerateResponseSchema), chunk("q")], [chunk("", MODEL), chunk("q", MODEL)]),
    ],
  },
];

const names = `${Feature.CompactData},${Feature.BatchData}`;

/** A batched DATA header with raw fields (no validation), then `payload`. */
function rawBatch(streamId: number, count: number, length: number, payload: number[] = []): string {
  const b = new Uint8Array(9 + payload.length);
  const v = new DataView(b.buffer);
  v.setUint8(0, BATCH_DATA_MARKER);
  v.setUint32(1, streamId);
  v.setUint16(5, count);
  v.setUint16(7, length);
  b.set(payload, 9);
  return hex(b);
}

/** `rawBatch` with the length taken from the payload. */
const rawBatchOf = (streamId: number, count: number, payload: number[]) =>
  rawBatch(streamId, count, payload.length, payload);

const e = (
  name: string,
  description: string,
  hexBytes: string,
  reason: ProtocolErrorReason,
  batchData = true,
  maxFrameSize = 1048576,
) => ({
  name,
  description,
  batchData,
  maxFrameSize,
  hex: hexBytes,
  error: err(reason),
});

/** The document written to `vectors/batch.json`. */
export const batchVectors = {
  description:
    "MCP (Model Communication Protocol) batched DATA frames, feature 'batch-data' (docs/mcp-wire.md 4.9). Batched " +
    "frame: db | u32 stream id | u16 count (1..256) | u16 length | count entries, each a varint length (at most 3 " +
    "bytes) and a chunk message without model when it equals the chunk before's. Only after a WELCOME whose " +
    "'features' names batch-data, and only server to client.",
  handshake: featuresHandshake(
    names,
    "HELLO offering compact-data and batch-data in its metadata key 'features', and the WELCOME accepting both. " +
      "Each feature is on or off by itself: a server that lists only compact-data sends no batched frames.",
  ),
  vectors: sequences.map((s) => ({
    name: s.name,
    description: s.description,
    hex: s.steps.map((x) => hex(x.bytes)).join(""),
    frames: s.steps.map((x) => ({
      form: x.form,
      type: x.type,
      streamId: x.streamId,
      sequences: x.sequences,
      payloadsHex: x.payloadsHex,
      chunks: x.chunks,
    })),
  })),
  errors: [
    e(
      "batch-without-feature",
      "A batched DATA frame on a connection where batch-data is off: read as a v1 header (20 bytes), whose first " +
        "two bytes are not the magic.",
      hex(encodeBatchDataFrame(1, [pb(chunk(" a longer token")), pb(chunk(" and another"))])),
      R.BadMagic,
      false,
    ),
    e("batch-stream-zero", "A batched DATA frame on stream 0.", rawBatchOf(0, 1, [0]), R.BadStreamId),
    e(
      "batch-stream-top-bit",
      "A stream id with the reserved top bit set.",
      rawBatchOf(0x80000001, 1, [0]),
      R.ReservedBits,
    ),
    e(
      "batch-too-large",
      "A header announcing 1025 bytes under a 1024-byte limit: refused before any payload is read.",
      rawBatch(1, 1, 1025),
      R.FrameTooLarge,
      true,
      1024,
    ),
    e("batch-count-zero", "A count of 0: a batch carries at least one chunk.", rawBatch(1, 0, 0), R.BadPayload),
    e("batch-count-257", "A count above 256 (MAX_BATCH_CHUNKS).", rawBatch(1, 257, 300), R.BadPayload),
    e(
      "batch-length-below-count",
      "3 chunks cannot fit in 2 bytes (each entry has a prefix).",
      rawBatch(1, 3, 2),
      R.BadPayload,
    ),
    e(
      "batch-entry-past-end",
      "The second entry's prefix announces 5 bytes where 2 are left.",
      rawBatchOf(1, 2, [0x01, 0x61, 0x05, 0x62, 0x63]),
      R.BadPayload,
    ),
    e(
      "batch-bytes-after-entries",
      "Count 1, but the payload holds a second entry after the first.",
      rawBatchOf(1, 1, [0x01, 0x61, 0x01, 0x62]),
      R.BadPayload,
    ),
    e(
      "batch-prefix-over-3-bytes",
      "An entry prefix of 4 varint bytes (lengths up to 65535 need at most 3).",
      rawBatchOf(1, 1, [0x80, 0x80, 0x80, 0x00]),
      R.BadPayload,
    ),
  ],
  sessionErrors: [
    {
      name: "batch-before-data",
      description:
        "A stream's first DATA frame in batched form: it has no model to inherit (client, connection-level).",
      hex: rawBatchOf(1, 1, [0x03, 0x1a, 0x01, 0x61]),
      error: err(R.UnexpectedFrame),
    },
  ],
};
