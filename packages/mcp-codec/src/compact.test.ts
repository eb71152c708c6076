import { clone, create, fromBinary, toBinary, toJson } from "@bufbuild/protobuf";
import { ChatResponseSchema, GenerateResponseSchema, ModelwireError } from "@modelwire/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import compactJson from "../vectors/compact.json" with { type: "json" };
import {
  COMPACT_DATA_MARKER,
  COMPACT_HEADER_SIZE,
  COMPACT_MAX_PAYLOAD,
  createFrameDecoder,
  decodeHello,
  decodeWelcome,
  encodeCompactDataFrame,
  encodeFrame,
  FEATURES_KEY,
  Feature,
  type Frame,
  FrameType,
  formatFeatures,
  parseFeatures,
} from "./index.js";
import { encodeChatCompactFrame, encodeCompactContentFrame } from "./internal/index.js";
import { text, timestamp } from "./test-support/chunk-arbitraries.js";
import { decodeAll as decodeAllFrames, expectRefused } from "./test-support/decode-all.js";

const fromHex = (h: string) => Uint8Array.from(Buffer.from(h, "hex"));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");

const decodeAll = (bytes: Uint8Array, chunk: number, compactData: boolean) =>
  decodeAllFrames(bytes, chunk, 1 << 20, compactData);

/**
 * The receiver's rules of §4.8, written from the spec for these tests: a compact DATA frame takes its stream's next
 * sequence and, when its chunk has no model, the model of the stream's previous DATA; one before any DATA of its
 * stream is unexpected_frame.
 */
function receive(frames: Frame[]) {
  const streams = new Map<number, { seq: number; model: string }>();
  return frames.map((f) => {
    const s = streams.get(f.streamId) ?? { seq: 0, model: "" };
    streams.set(f.streamId, s);
    if (f.compact && s.seq === 0) throw new Error("unexpected_frame: compact DATA before any DATA");
    const sequence = f.compact ? s.seq : f.sequence;
    s.seq = sequence + 1;
    const m = fromBinary(GenerateResponseSchema, f.payload);
    if (f.compact && m.model === "") m.model = s.model;
    if (f.type === FrameType.Data) s.model = m.model;
    return { f, sequence, chunk: toJson(GenerateResponseSchema, m) };
  });
}

describe("compact DATA vectors (vectors/compact.json)", () => {
  it("the handshake offers and accepts compact-data in the features metadata", () => {
    const h = decodeAll(fromHex(compactJson.handshake.helloHex), 1, false);
    const w = decodeAll(fromHex(compactJson.handshake.welcomeHex), 1, false);
    expect(decodeHello(h[0].payload)).toEqual(compactJson.handshake.hello);
    const welcome = decodeWelcome(w[0].payload);
    expect({ ...welcome, sessionId: toHex(welcome.sessionId) }).toEqual(compactJson.handshake.welcome);
    expect(parseFeatures(welcome.metadata[FEATURES_KEY]).has(Feature.CompactData)).toBe(true);
  });

  for (const v of compactJson.vectors) {
    it(`${v.name}: decodes in any chunking to the stated frames and chunks, and encodes back to the hex`, () => {
      const bytes = fromHex(v.hex);
      for (const chunk of [bytes.length, 1, 3, 6, 7, 8, 20, 21]) {
        const got = receive(decodeAll(bytes, chunk, true));
        expect(got.length).toBe(v.frames.length);
        got.forEach(({ f, sequence, chunk: c }, i) => {
          const want = v.frames[i];
          expect({
            form: f.compact ? "compact" : "v1",
            type: FrameType[f.type].toUpperCase(),
            streamId: f.streamId,
            sequence,
            payloadHex: toHex(f.payload),
            chunk: c,
          }).toEqual(want);
        });
      }
      const encoded = v.frames.map((f) =>
        f.form === "compact"
          ? encodeCompactDataFrame(f.streamId, fromHex(f.payloadHex))
          : encodeFrame({
              type: f.type === "DATA" ? FrameType.Data : FrameType.End,
              streamId: f.streamId,
              sequence: f.sequence,
              payload: fromHex(f.payloadHex),
            }),
      );
      expect(encoded.map(toHex).join("")).toBe(v.hex);
    });
  }

  for (const v of compactJson.errors) {
    it(`${v.name}: fails with ${v.error.reason} in any chunking, having buffered nothing`, () => {
      expectRefused(v, [1, 5]);
    });
  }

  for (const v of compactJson.sessionErrors) {
    it(`${v.name}: a well-formed frame the receiver refuses (${v.error.reason})`, () => {
      const frames = decodeAll(fromHex(v.hex), 1, true);
      expect(frames[0].compact).toBe(true);
      expect(() => receive(frames)).toThrow(v.error.reason);
    });
  }
});

/** A frame of a random mix: a v1 frame of some stream type, or a compact DATA frame. */
const anyFrame = fc.oneof(
  fc
    .record({
      type: fc.constantFrom(FrameType.Data, FrameType.End, FrameType.Error, FrameType.Cancel),
      streamId: fc.integer({ min: 1, max: 0x7fffffff }),
      sequence: fc.nat({ max: 0xffffffff }),
      payload: fc.uint8Array({ maxLength: 300 }),
    })
    .map((f) => ({
      compact: false,
      streamId: f.streamId,
      type: f.type,
      sequence: f.type === FrameType.Data || f.type === FrameType.End ? f.sequence : 0,
      payload:
        f.type === FrameType.Cancel ? new Uint8Array(0) : f.type === FrameType.Error ? fromHex("00030000") : f.payload,
    })),
  fc
    .record({ streamId: fc.integer({ min: 1, max: 0x7fffffff }), payload: fc.uint8Array({ maxLength: 300 }) })
    .map((f) => ({ compact: true, streamId: f.streamId, type: FrameType.Data, sequence: 0, payload: f.payload })),
);

describe("compact DATA codec (properties)", () => {
  it("random mixes of v1 and compact frames decode to the same frames in any chunking", () => {
    fc.assert(
      fc.property(fc.array(anyFrame, { maxLength: 12 }), fc.integer({ min: 1, max: 64 }), (frames, chunk) => {
        const bytes = Buffer.concat(
          frames.map((f) => (f.compact ? encodeCompactDataFrame(f.streamId, f.payload) : encodeFrame(f))),
        );
        const got = decodeAll(bytes, chunk, true);
        expect(
          got.map((f) => ({
            compact: f.compact === true,
            streamId: f.streamId,
            type: f.type,
            sequence: f.sequence,
            payload: toHex(f.payload),
          })),
        ).toEqual(frames.map((f) => ({ ...f, payload: toHex(f.payload) })));
      }),
      { numRuns: 300 },
    );
  });

  it("a decoder with the feature off reads v1 frames only: a compact frame anywhere is bad_magic", () => {
    fc.assert(
      fc.property(fc.array(anyFrame, { maxLength: 8 }), (frames) => {
        const bytes = Buffer.concat(
          frames.map((f) => (f.compact ? encodeCompactDataFrame(f.streamId, f.payload) : encodeFrame(f))),
        );
        const firstCompact = frames.findIndex((f) => f.compact);
        const d = createFrameDecoder();
        // A v1 decoder reads 20 header bytes before judging them: pad so a short compact frame at the end is read.
        d.push(firstCompact < 0 ? bytes : Buffer.concat([bytes, new Uint8Array(20)]));
        const got: Frame[] = [];
        let caught: ModelwireError | undefined;
        try {
          for (const f of d) got.push(f);
        } catch (e) {
          caught = e as ModelwireError;
        }
        if (firstCompact < 0) expect(caught).toBeUndefined();
        else {
          expect(caught?.metadata.reason).toBe("bad_magic");
          expect(got.length).toBe(firstCompact);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("random bytes after the feature is on either decode or fail with a coded error, never hang or overrun", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (noise, lead) => {
        const d = createFrameDecoder({ maxFrameSize: 1024 });
        d.enableCompactData();
        d.push(lead ? Uint8Array.from([COMPACT_DATA_MARKER, ...noise]) : noise);
        try {
          let n = 0;
          for (const f of d) {
            expect(f.payload.length).toBeLessThanOrEqual(1024);
            n++;
          }
          expect(n).toBeLessThanOrEqual(noise.length + 1);
          expect(d.buffered).toBeLessThanOrEqual(noise.length + 1);
        } catch (e) {
          expect(e).toBeInstanceOf(ModelwireError);
          expect(typeof (e as ModelwireError).metadata.reason).toBe("string");
        }
      }),
      { numRuns: 500 },
    );
  });

  it("encodeCompactDataFrame refuses a stream id outside 1..2^31-1 and a payload over 65535 bytes", () => {
    expect(() => encodeCompactDataFrame(0, new Uint8Array(0))).toThrow(RangeError);
    expect(() => encodeCompactDataFrame(0x80000000, new Uint8Array(0))).toThrow(RangeError);
    expect(() => encodeCompactDataFrame(1, new Uint8Array(COMPACT_MAX_PAYLOAD + 1))).toThrow(RangeError);
    expect(encodeCompactDataFrame(1, new Uint8Array(COMPACT_MAX_PAYLOAD)).length).toBe(
      COMPACT_HEADER_SIZE + COMPACT_MAX_PAYLOAD,
    );
  });

  it("features: parse(format(names)) gives the names back; missing, empty or over-long values offer nothing", () => {
    const name = fc.stringMatching(/^[a-z0-9-]{1,20}$/);
    fc.assert(
      fc.property(fc.array(name, { maxLength: 8 }), (names) => {
        expect(parseFeatures(formatFeatures(names))).toEqual(new Set(names));
      }),
    );
    expect(parseFeatures(undefined).size).toBe(0);
    expect(parseFeatures("").size).toBe(0);
    expect([...parseFeatures(",compact-data,,x,")]).toEqual(["compact-data", "x"]);
    expect(parseFeatures(`compact-data,${"x".repeat(2000)}`).size).toBe(0);
  });
});

describe("compact chunk encoders (byte-identical to protobuf-es without the model)", () => {
  const generate = fc
    .record({ model: text, response: text, thinking: text, createdAt: timestamp })
    .map((init) => create(GenerateResponseSchema, init));
  const chat = fc
    .record({ model: text, role: text, content: text, thinking: text, createdAt: timestamp, hasMessage: fc.boolean() })
    .map(({ hasMessage, role, content, thinking, ...rest }) =>
      create(ChatResponseSchema, hasMessage ? { ...rest, message: { role, content, thinking } } : rest),
    );

  const check = (frame: Uint8Array | undefined, id: number, theirs: Uint8Array) => {
    expect(frame).toBeDefined();
    const f = frame as Uint8Array;
    expect(toHex(f.subarray(COMPACT_HEADER_SIZE))).toBe(toHex(theirs));
    const [got] = decodeAll(f, f.length, true);
    expect(got).toMatchObject({ type: FrameType.Data, streamId: id, compact: true });
  };

  it("GenerateResponse and ChatResponse content chunks", () => {
    const id = fc.integer({ min: 1, max: 0x7fffffff });
    fc.assert(
      fc.property(generate, chat, id, (g, c, streamId) => {
        const bareG = clone(GenerateResponseSchema, g);
        bareG.model = "";
        check(encodeCompactContentFrame(streamId, g), streamId, toBinary(GenerateResponseSchema, bareG));
        const bareC = clone(ChatResponseSchema, c);
        bareC.model = "";
        check(encodeChatCompactFrame(streamId, c), streamId, toBinary(ChatResponseSchema, bareC));
      }),
      { numRuns: 300 },
    );
  });

  it("declines final chunks and payloads over 65535 bytes (they go as v1 frames)", () => {
    expect(encodeCompactContentFrame(1, create(GenerateResponseSchema, { response: "x", done: true }))).toBeUndefined();
    expect(
      encodeCompactContentFrame(1, create(GenerateResponseSchema, { response: "x".repeat(COMPACT_MAX_PAYLOAD) })),
    ).toBeUndefined();
    expect(
      encodeCompactContentFrame(1, create(GenerateResponseSchema, { response: "x".repeat(COMPACT_MAX_PAYLOAD - 4) })),
    ).toBeDefined();
  });
});
