import { Code, ModelwireError } from "@modelwire/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  createFrameDecoder,
  encodeFrame,
  encodeFrames,
  type Frame,
  FrameFlag,
  type FrameInit,
  FrameType,
  HEADER_SIZE,
  isConnectionFrame,
  MAX_STREAM_ID,
  ProtocolErrorReason,
  validateFrame,
} from "./index.js";

const MAX = 4096;

/** Arbitrary valid frames: header fields obey every rule the decoder checks. */
const frameArb: fc.Arbitrary<Frame> = fc
  .record({
    type: fc.integer({ min: FrameType.Hello, max: FrameType.Goaway }),
    stream: fc.integer({ min: 1, max: MAX_STREAM_ID }),
    seq: fc.integer({ min: 0, max: 0xffffffff }),
    dataType: fc.integer({ min: 0, max: 6 }),
    ack: fc.boolean(),
    errorOnStream0: fc.boolean(),
    payload: fc.uint8Array({ minLength: 0, maxLength: 300 }),
  })
  .map(({ type, stream, seq, dataType, ack, errorOnStream0, payload }) => {
    const t = type as FrameType;
    let p = payload;
    const min = {
      [FrameType.Hello]: 16,
      [FrameType.Welcome]: 32,
      [FrameType.Open]: 8,
      [FrameType.Error]: 4,
      [FrameType.Goaway]: 8,
    } as Record<number, number>;
    if (t === FrameType.Ping) p = payload.subarray(0, 8).length === 8 ? payload.subarray(0, 8) : new Uint8Array(8);
    else if (t === FrameType.Cancel) p = new Uint8Array(0);
    else if (min[t] && p.length < min[t]) p = new Uint8Array(min[t]);
    return {
      type: t,
      flags: t === FrameType.Ping && ack ? FrameFlag.Ack : 0,
      dataType: t === FrameType.Open ? dataType : 0,
      streamId: isConnectionFrame(t) || (t === FrameType.Error && errorOnStream0) ? 0 : stream,
      sequence: t === FrameType.Data || t === FrameType.End ? seq : 0,
      payload: Uint8Array.from(p),
    };
  });

/** Splits `bytes` at the given cut points (sorted, deduplicated, within range). */
function chunk(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  out.push(bytes.subarray(prev));
  return out;
}

describe("frame decoder properties", () => {
  it("generated frames are valid", () => {
    fc.assert(
      fc.property(frameArb, (f) => {
        expect(validateFrame(f, MAX)).toBeUndefined();
      }),
    );
  });

  it("decode(encode(frames)) is the identity under any chunking", () => {
    fc.assert(
      fc.property(
        fc.array(frameArb, { minLength: 1, maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (frames, cuts) => {
          const bytes = encodeFrames(frames);
          const d = createFrameDecoder({ maxFrameSize: MAX });
          const got: Frame[] = [];
          for (const c of chunk(bytes, cuts)) {
            d.push(c);
            for (const f of d) got.push({ ...f, payload: Uint8Array.from(f.payload) });
          }
          expect(got).toEqual(frames);
          expect(d.buffered).toBe(0);
          expect(d.next()).toBeUndefined();
        },
      ),
      { numRuns: 300 },
    );
  });

  it("buffered is every byte pushed minus the bytes of the frames returned, at every step of any chunking", () => {
    fc.assert(
      fc.property(
        fc.array(frameArb, { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        fc.nat(),
        (frames, cuts, drop) => {
          const all = encodeFrames(frames);
          // Sometimes cut the stream short inside the last frame: buffered must then stay > 0.
          const bytes = all.subarray(0, all.length - (drop % (HEADER_SIZE + frames[frames.length - 1].payload.length)));
          const d = createFrameDecoder({ maxFrameSize: MAX });
          let pushed = 0;
          let returned = 0;
          for (const c of chunk(bytes, cuts)) {
            d.push(c);
            pushed += c.length;
            expect(d.buffered).toBe(pushed - returned);
            for (let f = d.next(); f !== undefined; f = d.next()) {
              returned += HEADER_SIZE + f.payload.length;
              expect(d.buffered).toBe(pushed - returned);
            }
            expect(d.buffered).toBe(pushed - returned);
          }
          expect(d.buffered === 0).toBe(bytes.length === all.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("random bytes never crash the decoder nor make it hold more than one frame", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 20 }),
        fc.boolean(),
        (chunks, validPrefix) => {
          const limit = 256;
          const d = createFrameDecoder({ maxFrameSize: limit });
          // Half the runs start with a valid header prefix so the fuzzing reaches past the magic check.
          if (validPrefix)
            d.push(encodeFrame({ type: FrameType.Data, streamId: 1, payload: new Uint8Array(3) }).subarray(0, 8));
          try {
            for (const c of chunks) {
              d.push(c);
              while (d.next() !== undefined) {
                /* drain */
              }
              expect(d.buffered).toBeLessThanOrEqual(HEADER_SIZE + limit);
            }
          } catch (e) {
            expect(e).toBeInstanceOf(ModelwireError);
            expect(Object.values(ProtocolErrorReason)).toContain((e as ModelwireError).metadata.reason);
            expect(d.buffered).toBe(0);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it("mutating one header byte of a valid frame either decodes or fails with a coded error", () => {
    fc.assert(
      fc.property(
        frameArb,
        fc.integer({ min: 0, max: HEADER_SIZE - 1 }),
        fc.integer({ min: 0, max: 255 }),
        (f, i, v) => {
          const bytes = encodeFrame(f);
          bytes[i] = v;
          const d = createFrameDecoder({ maxFrameSize: MAX });
          d.push(bytes);
          try {
            d.next();
          } catch (e) {
            expect(e).toBeInstanceOf(ModelwireError);
            expect((e as ModelwireError).metadata.reason).toBeDefined();
          }
          expect(d.buffered).toBeLessThanOrEqual(bytes.length);
        },
      ),
    );
  });
});

describe("frame decoder behaviour", () => {
  it("returns zero-copy payload views when a frame arrives whole", () => {
    const payload = Uint8Array.from([1, 2, 3, 4]);
    const bytes = encodeFrames([
      { type: FrameType.Data, streamId: 1, payload },
      { type: FrameType.End, streamId: 1, sequence: 1, payload },
    ]);
    const d = createFrameDecoder();
    d.push(bytes);
    const a = d.next() as Frame;
    const b = d.next() as Frame;
    expect(a.payload.buffer).toBe(bytes.buffer);
    expect(a.payload.byteOffset).toBe(HEADER_SIZE);
    expect(b.payload.byteOffset).toBe(2 * HEADER_SIZE + 4);
    expect(b.sequence).toBe(1);
    expect(d.next()).toBeUndefined();
  });

  it("buffered counts a parsed header until its frame is complete (a truncated stream is never 0)", () => {
    const bytes = encodeFrame({ type: FrameType.Data, streamId: 1, payload: new Uint8Array(100).fill(7) });
    const d = createFrameDecoder();
    d.push(bytes.subarray(0, HEADER_SIZE));
    expect(d.next()).toBeUndefined();
    expect(d.buffered).toBe(HEADER_SIZE);
    d.push(bytes.subarray(HEADER_SIZE, HEADER_SIZE + 50));
    expect(d.next()).toBeUndefined();
    expect(d.buffered).toBe(HEADER_SIZE + 50);
    d.push(bytes.subarray(HEADER_SIZE + 50));
    expect(d.next()?.payload).toEqual(new Uint8Array(100).fill(7));
    expect(d.buffered).toBe(0);
    // Header and half the payload in one chunk take the fast header path: same count.
    const e = createFrameDecoder();
    e.push(bytes.subarray(0, HEADER_SIZE + 50));
    expect(e.next()).toBeUndefined();
    expect(e.buffered).toBe(HEADER_SIZE + 50);
    // A partial header counts its bytes, before and after next().
    const h = createFrameDecoder();
    h.push(bytes.subarray(0, 7));
    expect(h.buffered).toBe(7);
    expect(h.next()).toBeUndefined();
    expect(h.buffered).toBe(7);
  });

  it("rejects an oversized frame from its header alone, before buffering its payload", () => {
    const d = createFrameDecoder({ maxFrameSize: 1024 });
    const header = encodeFrame({ type: FrameType.Data, streamId: 1, payload: new Uint8Array(2048) }).subarray(
      0,
      HEADER_SIZE,
    );
    d.push(header);
    let err: ModelwireError | undefined;
    try {
      d.next();
    } catch (e) {
      err = e as ModelwireError;
    }
    expect(err?.code).toBe(Code.ResourceExhausted);
    expect(err?.metadata.reason).toBe(ProtocolErrorReason.FrameTooLarge);
    expect(() => d.push(new Uint8Array(4))).toThrow(ModelwireError);
  });

  it("applies a new limit set after the handshake", () => {
    const d = createFrameDecoder({ maxFrameSize: 1 << 20 });
    d.setMaxFrameSize(16);
    d.push(encodeFrame({ type: FrameType.Data, streamId: 1, payload: new Uint8Array(17) }));
    expect(() => d.next()).toThrow(/exceeds the limit of 16/);
  });

  it("refuses an invalid limit with a coded error", () => {
    expect(() => createFrameDecoder({ maxFrameSize: -1 })).toThrow(ModelwireError);
  });

  it("encodes frames with default fields", () => {
    const f: FrameInit = { type: FrameType.Cancel, streamId: 7 };
    const bytes = encodeFrame(f);
    expect(Buffer.from(bytes).toString("hex")).toBe("4d430107000000000000000700000000" + "00000000");
  });
});
