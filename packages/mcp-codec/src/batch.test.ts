import { clone, create, fromBinary, toBinary, toJson } from "@bufbuild/protobuf";
import { ChatResponseSchema, GenerateResponseSchema, ModelwireError } from "@modelwire/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import batchJson from "../vectors/batch.json" with { type: "json" };
import {
  BATCH_DATA_MARKER,
  BATCH_HEADER_SIZE,
  BATCH_MAX_PAYLOAD,
  createFrameDecoder,
  DataBatch,
  decodeHello,
  decodeWelcome,
  encodeBatchDataFrame,
  encodeCompactDataFrame,
  encodeFrame,
  entryEnd,
  FEATURES_KEY,
  Feature,
  type Frame,
  FrameType,
  MAX_BATCH_CHUNKS,
  parseFeatures,
  readEntry,
  splitBatchPayload,
} from "./index.js";
import {
  decodeChatContentChunk,
  decodeContentChunk,
  encodeChatBatchEntry,
  encodeContentBatchEntry,
} from "./internal/index.js";
import { text, timestamp } from "./test-support/chunk-arbitraries.js";
import { decodeAll as decodeAllFrames, expectRefused } from "./test-support/decode-all.js";

const fromHex = (h: string) => Uint8Array.from(Buffer.from(h, "hex"));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const decodeAll = (bytes: Uint8Array, chunk: number) => decodeAllFrames(bytes, chunk, 1 << 20, true, true);

/**
 * The receiver's rules of §4.8–4.9, written from the spec for these tests: a compact frame or each entry of a batched
 * frame takes its stream's next sequence and, with no model, the model of the stream's previous chunk; either one
 * before any DATA of its stream is unexpected_frame. Each frame gives its chunks' sequences, payloads and JSON.
 */
function receive(frames: Frame[]) {
  const streams = new Map<number, { seq: number; model: string }>();
  return frames.map((f) => {
    const s = streams.get(f.streamId) ?? { seq: 0, model: "" };
    streams.set(f.streamId, s);
    const implied = f.compact === true || f.batch !== undefined;
    if (implied && s.seq === 0) throw new Error("unexpected_frame: compact or batched DATA before any DATA");
    const payloads = f.batch !== undefined ? splitBatchPayload(f.payload, f.batch) : [f.payload];
    const sequences: number[] = [];
    const chunks = payloads.map((p) => {
      const sequence = implied ? s.seq : f.sequence;
      sequences.push(sequence);
      s.seq = sequence + 1;
      const m = fromBinary(GenerateResponseSchema, p);
      if (implied && m.model === "") m.model = s.model;
      if (f.type === FrameType.Data) s.model = m.model;
      return m;
    });
    return { f, sequences, payloadsHex: payloads.map(toHex), chunks };
  });
}

const form = (f: Frame) => (f.batch !== undefined ? "batch" : f.compact ? "compact" : "v1");

describe("batched DATA vectors (vectors/batch.json)", () => {
  it("the handshake offers and accepts batch-data (with compact-data) in the features metadata", () => {
    const [h] = decodeAll(fromHex(batchJson.handshake.helloHex), 1);
    const [w] = decodeAll(fromHex(batchJson.handshake.welcomeHex), 1);
    expect(decodeHello(h.payload)).toEqual(batchJson.handshake.hello);
    const welcome = decodeWelcome(w.payload);
    expect({ ...welcome, sessionId: toHex(welcome.sessionId) }).toEqual(batchJson.handshake.welcome);
    const names = parseFeatures(welcome.metadata[FEATURES_KEY]);
    expect(names.has(Feature.BatchData) && names.has(Feature.CompactData)).toBe(true);
  });

  for (const v of batchJson.vectors) {
    it(`${v.name}: decodes in any chunking to the stated frames and chunks, and encodes back to the hex`, () => {
      const bytes = fromHex(v.hex);
      for (const chunk of [bytes.length, 1, 3, 7, 9, 10, 20, 21]) {
        const got = receive(decodeAll(bytes, chunk));
        expect(
          got.map(({ f, sequences, payloadsHex, chunks }) => ({
            form: form(f),
            type: FrameType[f.type].toUpperCase(),
            streamId: f.streamId,
            sequences,
            payloadsHex,
            chunks: chunks.map((m) => toJson(GenerateResponseSchema, m)),
          })),
        ).toEqual(v.frames);
      }
      const encoded = v.frames.map((f) => {
        const payloads = f.payloadsHex.map(fromHex);
        if (f.form === "batch") return encodeBatchDataFrame(f.streamId, payloads);
        if (f.form === "compact") return encodeCompactDataFrame(f.streamId, payloads[0]);
        const type = f.type === "DATA" ? FrameType.Data : FrameType.End;
        return encodeFrame({ type, streamId: f.streamId, sequence: f.sequences[0], payload: payloads[0] });
      });
      expect(encoded.map(toHex).join("")).toBe(v.hex);
    });
  }

  for (const v of batchJson.errors) {
    it(`${v.name}: fails with ${v.error.reason} in any chunking, having buffered nothing`, () => {
      // Every decoder here has compact-data on: a 0xDB frame must not be read as one either.
      expectRefused({ ...v, compactData: true }, [1, 5, 9], v.batchData ? 0 : 20);
    });
  }

  for (const v of batchJson.sessionErrors) {
    it(`${v.name}: a well-formed frame the receiver refuses (${v.error.reason})`, () => {
      const frames = decodeAll(fromHex(v.hex), 1);
      expect(frames[0].batch).toBe(1);
      expect(() => receive(frames)).toThrow(v.error.reason);
    });
  }
});

const generate = fc
  .record({ model: text, response: text, thinking: text, createdAt: timestamp })
  .map((init) => create(GenerateResponseSchema, init));
const bare = (m: ReturnType<typeof create<typeof GenerateResponseSchema>>) => {
  const c = clone(GenerateResponseSchema, m);
  c.model = "";
  return toBinary(GenerateResponseSchema, c);
};

describe("batched DATA codec (properties)", () => {
  it("a batch decodes to the same chunks as the same chunks sent one compact DATA frame each", () => {
    fc.assert(
      fc.property(
        fc.array(generate, { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 1, max: 0x7fffffff }),
        fc.integer({ min: 1, max: 64 }),
        (chunks, streamId, piece) => {
          const first = create(GenerateResponseSchema, { model: "m", response: "first" });
          const head = encodeFrame({
            type: FrameType.Data,
            streamId,
            payload: toBinary(GenerateResponseSchema, first),
          });
          const payloads = chunks.map(bare);
          const batched = receive(decodeAll(Buffer.concat([head, encodeBatchDataFrame(streamId, payloads)]), piece));
          const single = receive(
            decodeAll(Buffer.concat([head, ...payloads.map((p) => encodeCompactDataFrame(streamId, p))]), piece),
          );
          expect(batched.length).toBe(2);
          expect(batched[1].f.batch).toBe(chunks.length);
          const bytesOf = (rs: typeof batched) =>
            rs.flatMap((r) => r.chunks.map((m) => toHex(toBinary(GenerateResponseSchema, m))));
          expect(bytesOf(batched)).toEqual(bytesOf(single));
          expect(batched.flatMap((r) => r.sequences)).toEqual(single.flatMap((r) => r.sequences));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("checkBatchPayload agrees with a splitter written from the spec on random payloads and counts", () => {
    /** §4.9: count entries, each a varint of at most 3 bytes and that many bytes; nothing after the last. */
    const bySpec = (p: Uint8Array, count: number): Uint8Array[] | undefined => {
      const out: Uint8Array[] = [];
      let o = 0;
      for (let i = 0; i < count; i++) {
        let n = 0;
        let k = 0;
        for (;;) {
          if (k === 3 || o >= p.length) return undefined;
          const x = p[o++];
          n += (x & 0x7f) * 128 ** k++;
          if (x < 0x80) break;
        }
        if (o + n > p.length) return undefined;
        out.push(p.subarray(o, o + n));
        o += n;
      }
      return o === p.length ? out : undefined;
    };
    const payload = fc.oneof(
      fc.uint8Array({ maxLength: 60 }),
      fc
        .array(fc.uint8Array({ maxLength: 200 }), { minLength: 1, maxLength: 10 })
        .map((ps) => encodeBatchDataFrame(1, ps).subarray(BATCH_HEADER_SIZE)),
    );
    fc.assert(
      fc.property(payload, fc.integer({ min: 1, max: 12 }), (p, count) => {
        const want = bySpec(p, count);
        let got: Uint8Array[] | undefined;
        try {
          got = splitBatchPayload(p, count);
        } catch (e) {
          expect((e as ModelwireError).metadata.reason).toBe("bad_payload");
        }
        expect(got?.map(toHex)).toEqual(want?.map(toHex));
      }),
      { numRuns: 500 },
    );
  });

  it("random bytes after the feature is on either decode or fail with a coded error, never hang or overrun", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (noise, lead) => {
        const d = createFrameDecoder({ maxFrameSize: 1024 });
        d.enableBatchData();
        d.push(lead ? Uint8Array.from([BATCH_DATA_MARKER, ...noise]) : noise);
        try {
          let n = 0;
          for (const f of d) {
            expect(f.payload.length).toBeLessThanOrEqual(1024);
            if (f.batch !== undefined) expect(splitBatchPayload(f.payload, f.batch).length).toBe(f.batch);
            n++;
          }
          expect(n).toBeLessThanOrEqual(noise.length + 1);
        } catch (e) {
          expect(e).toBeInstanceOf(ModelwireError);
          expect(typeof (e as ModelwireError).metadata.reason).toBe("string");
        }
      }),
      { numRuns: 500 },
    );
  });

  it("a decoder without batch-data reads a batched frame anywhere as bad_magic", () => {
    const d = createFrameDecoder();
    d.enableCompactData();
    d.push(Buffer.concat([encodeBatchDataFrame(1, [new Uint8Array(30)]), new Uint8Array(20)]));
    expect(() => d.next()).toThrow(
      expect.objectContaining({ metadata: expect.objectContaining({ reason: "bad_magic" }) }),
    );
  });

  it("encodeBatchDataFrame refuses a bad stream id, 0 or over 256 chunks, and a payload over 65535 bytes", () => {
    const one = [new Uint8Array(0)];
    expect(() => encodeBatchDataFrame(0, one)).toThrow(RangeError);
    expect(() => encodeBatchDataFrame(0x80000000, one)).toThrow(RangeError);
    expect(() => encodeBatchDataFrame(1, [])).toThrow(RangeError);
    expect(() => encodeBatchDataFrame(1, Array(MAX_BATCH_CHUNKS + 1).fill(one[0]))).toThrow(RangeError);
    expect(encodeBatchDataFrame(1, Array(MAX_BATCH_CHUNKS).fill(one[0])).length).toBe(BATCH_HEADER_SIZE + 256);
    expect(() => encodeBatchDataFrame(1, [new Uint8Array(BATCH_MAX_PAYLOAD - 2)])).toThrow(RangeError);
    expect(encodeBatchDataFrame(1, [new Uint8Array(BATCH_MAX_PAYLOAD - 3)]).length).toBe(
      BATCH_HEADER_SIZE + BATCH_MAX_PAYLOAD,
    );
  });
});

describe("batch entry encoders (DataBatch; byte-identical to protobuf-es without the model)", () => {
  const chat = fc
    .record({ model: text, role: text, content: text, thinking: text, createdAt: timestamp, hasMessage: fc.boolean() })
    .map(({ hasMessage, role, content, thinking, ...rest }) =>
      create(ChatResponseSchema, hasMessage ? { ...rest, message: { role, content, thinking } } : rest),
    );

  it("entries written in place then sealed = encodeBatchDataFrame of protobuf-es payloads, for both messages", () => {
    fc.assert(
      fc.property(
        fc.array(generate, { minLength: 1, maxLength: 30 }),
        fc.array(chat, { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 16, max: 2048 }),
        (gs, cs, capacity) => {
          const g = new DataBatch(3, BATCH_MAX_PAYLOAD, capacity);
          for (const m of gs) expect(encodeContentBatchEntry(g, m)).toBe(true);
          expect(toHex(g.seal())).toBe(toHex(encodeBatchDataFrame(3, gs.map(bare))));
          const c = new DataBatch(5, BATCH_MAX_PAYLOAD, capacity);
          for (const m of cs) expect(encodeChatBatchEntry(c, m)).toBe(true);
          const bareChat = cs.map((m) => {
            const x = clone(ChatResponseSchema, m);
            x.model = "";
            return toBinary(ChatResponseSchema, x);
          });
          expect(toHex(c.seal())).toBe(toHex(encodeBatchDataFrame(5, bareChat)));
        },
      ),
      { numRuns: 150 },
    );
  });

  it("entries decode in place (start..end of the payload) to what each entry's own bytes decode to", () => {
    fc.assert(
      fc.property(
        fc.array(generate, { minLength: 1, maxLength: 12 }),
        fc.array(chat, { minLength: 1, maxLength: 12 }),
        (gs, cs) => {
          for (const [ms, enc, dec] of [
            [gs, encodeContentBatchEntry, decodeContentChunk],
            [cs, encodeChatBatchEntry, decodeChatContentChunk],
          ] as const) {
            const b = new DataBatch(1, BATCH_MAX_PAYLOAD);
            for (const m of ms) expect((enc as (b: DataBatch, m: unknown) => boolean)(b, m)).toBe(true);
            const payload = b.seal().subarray(BATCH_HEADER_SIZE);
            let o = 0;
            for (let i = 0; i < ms.length; i++) {
              const start = readEntry(payload, o);
              const end = entryEnd();
              const alone = payload.slice(start, end);
              expect(dec(payload, start, end)).toEqual(dec(alone));
              // The chat decoder declines a chunk without a message (protobuf-es decodes it); generate ones all decode.
              if (dec === decodeContentChunk) expect(dec(alone)).toBeDefined();
              o = end;
            }
            expect(o).toBe(payload.length);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it("a batch stops at its byte bound and at 256 entries (full), and declines final chunks without filling", () => {
    const small = new DataBatch(1, 20);
    expect(encodeContentBatchEntry(small, create(GenerateResponseSchema, { response: "0123456789" }))).toBe(true);
    expect(encodeContentBatchEntry(small, create(GenerateResponseSchema, { response: "0123456789" }))).toBe(false);
    expect(small.full).toBe(true);
    expect(small.count).toBe(1);
    const many = new DataBatch(1, BATCH_MAX_PAYLOAD);
    for (let i = 0; i < MAX_BATCH_CHUNKS; i++) {
      expect(encodeContentBatchEntry(many, create(GenerateResponseSchema, { response: "x" }))).toBe(true);
    }
    expect(encodeContentBatchEntry(many, create(GenerateResponseSchema, { response: "x" }))).toBe(false);
    expect(many.full).toBe(true);
    const fresh = new DataBatch(1, BATCH_MAX_PAYLOAD);
    expect(encodeContentBatchEntry(fresh, create(GenerateResponseSchema, { done: true }))).toBe(false);
    expect(fresh.full).toBe(false);
    const frame = many.seal();
    expect(decodeAll(frame, 7)[0].batch).toBe(MAX_BATCH_CHUNKS);
    expect(encodeContentBatchEntry(many, create(GenerateResponseSchema, { response: "x" }))).toBe(false);
  });
});
