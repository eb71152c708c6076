/**
 * The `batch-data` feature (docs/mcp-wire.md §4.9) between peers that do and do not speak it: every pairing of a
 * client and a server with batch-data and compact-data each on or off (a v1 peer is one with both off: a v1 client
 * never offers, a v1 server ignores the offer and announces nothing) gets the same chunks; a client written here
 * from the spec alone (its own parser, no @modelwire/mcp-codec decoder) reads what the server sends, batched only
 * when it offered the feature and never holding a chunk back; and what a client does with batched frames it did not
 * ask for, or that break the sequence.
 */
import type { Socket } from "node:net";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, GenerateRequestSchema, GenerateResponseSchema, InferenceRequestSchema } from "@modelwire/core";
import { createSyntheticEngine } from "@modelwire/engine";
import {
  encodeBatchDataFrame,
  encodeCompactDataFrame,
  encodeFrame,
  encodeOpenFrame,
  FEATURES_KEY,
  Feature,
  FrameType,
  Method,
} from "@modelwire/mcp-codec";
import { describe, expect, it } from "vitest";
import { createMcpClient } from "./index.js";
import { cleanupAfterEach, generateAll, startClientServer } from "./test-support/harness.js";
import { helloBytes, rawBytesPeer } from "./test-support/raw-peer.js";
import { scriptedServer } from "./test-support/scripted-server.js";

const cleanups = cleanupAfterEach();
const TOKENS = 40;

describe("batch-data between new and old peers", () => {
  it("every pairing of batch-data and compact-data on or off, client and server, gets the same chunks", async () => {
    const strip = (cs: Awaited<ReturnType<typeof generateAll>>) =>
      cs.map((c) => ({ ...c, createdAt: undefined, metrics: undefined }));
    let reference: ReturnType<typeof strip> | undefined;
    for (const server of [
      { batchData: true, compactData: true },
      { batchData: false, compactData: false },
      { batchData: true, compactData: false },
    ]) {
      const engine = createSyntheticEngine({ tokens: TOKENS });
      const { url } = await startClientServer(cleanups, { engine, ...server }, {});
      for (const client of [
        { batchData: true, compactData: true },
        { batchData: false, compactData: false },
        { batchData: true, compactData: false },
        { batchData: false, compactData: true },
      ]) {
        const c = createMcpClient({ url, ...client, reconnect: false });
        cleanups.push(() => c.close());
        // Three streams at once, so batches of different streams interleave on the connection.
        const runs = await Promise.all(
          ["why is the sky blue?", "and the sea?", "why?"].map((p) => generateAll(c, p, TOKENS)),
        );
        for (const chunks of runs) {
          expect(chunks.length).toBe(TOKENS + 1);
          for (const x of chunks) expect(x.model).toBe("synthetic");
        }
        const got = strip(runs[0]);
        reference ??= got;
        expect(got, JSON.stringify({ server, client })).toEqual(reference);
      }
    }
  });
});

interface SpecChunk {
  form: string;
  /** The chunks the frame carried (1, or a batched frame's count). */
  of: number;
  sequence: number;
  response: string;
  model: string;
  done: boolean;
}

/**
 * A client side written from docs/mcp-wire.md alone: reads v1 frames (20-byte header), compact DATA (0xDA, u32
 * stream id, u16 length) and batched DATA (0xDB, u32 stream id, u16 count, u16 length, then count entries of a
 * varint length and a chunk) off a byte buffer, assigns sequences and models as §4.8–4.9 say, and decodes chunks
 * with protobuf-es. Returns the chunks of stream 1 up to its END (throws on a frame not complete yet).
 */
function readBySpec(buf: Buffer, offered: { compact: boolean; batch: boolean }) {
  let o = 0;
  let seq = 0;
  let model = "";
  const out: SpecChunk[] = [];
  const inherit = (form: string, of: number, payload: Uint8Array) => {
    expect(seq).toBeGreaterThan(0);
    const m = fromBinary(GenerateResponseSchema, payload);
    if (m.model === "") m.model = model;
    model = m.model;
    out.push({ form, of, sequence: seq++, response: m.response, model: m.model, done: m.done });
  };
  const need = (n: number) => {
    if (o + n > buf.length) throw new Error("incomplete");
  };
  while (o < buf.length) {
    if (buf[o] === 0x4d) {
      need(20);
      expect(buf[o + 1]).toBe(0x43);
      const type = buf[o + 3];
      const sequence = buf.readUInt32BE(o + 12);
      const len = buf.readUInt32BE(o + 16);
      need(20 + len);
      const payload = buf.subarray(o + 20, o + 20 + len);
      const stream = buf.readUInt32BE(o + 8);
      o += 20 + len;
      if (type === FrameType.Welcome) continue;
      expect(stream).toBe(1);
      expect(sequence).toBe(seq);
      const m = fromBinary(GenerateResponseSchema, payload);
      if (type === FrameType.Data) model = m.model;
      out.push({ form: "v1", of: 1, sequence, response: m.response, model: m.model, done: m.done });
      seq = sequence + 1;
      if (type === FrameType.End) return out;
    } else if (buf[o] === 0xda) {
      expect(offered.compact).toBe(true);
      need(7);
      const len = buf.readUInt16BE(o + 5);
      need(7 + len);
      expect(buf.readUInt32BE(o + 1)).toBe(1);
      inherit("compact", 1, buf.subarray(o + 7, o + 7 + len));
      o += 7 + len;
    } else {
      expect(buf[o]).toBe(0xdb);
      expect(offered.batch).toBe(true);
      need(9);
      expect(buf.readUInt32BE(o + 1)).toBe(1);
      const count = buf.readUInt16BE(o + 5);
      const len = buf.readUInt16BE(o + 7);
      need(9 + len);
      expect(count).toBeGreaterThanOrEqual(1);
      expect(count).toBeLessThanOrEqual(256);
      const end = o + 9 + len;
      let p = o + 9;
      for (let i = 0; i < count; i++) {
        let n = 0;
        let shift = 0;
        for (let k = 0; ; k++) {
          expect(k).toBeLessThan(3);
          const x = buf[p++];
          n += (x & 0x7f) << shift;
          shift += 7;
          if (x < 0x80) break;
        }
        expect(p + n).toBeLessThanOrEqual(end);
        inherit("batch", count, buf.subarray(p, p + n));
        p += n;
      }
      expect(p).toBe(end);
      o = end;
    }
  }
  throw new Error("incomplete");
}

/** Opens stream 1 (a `tokens`-token generate) from a raw peer offering `features`; returns what it read by the spec. */
async function specClient(url: string, features: string[], tokens: number) {
  const peer = await rawBytesPeer(url, cleanups);
  const offer: Record<string, string> =
    features.length > 0 ? { [FEATURES_KEY]: ["some-future-thing", ...features].join(",") } : {};
  const req = create(GenerateRequestSchema, { prompt: "tell me", options: { numPredict: tokens } });
  const body = toBinary(
    InferenceRequestSchema,
    create(InferenceRequestSchema, { modelVersion: "synthetic", inputData: toBinary(GenerateRequestSchema, req) }),
  );
  peer.socket.write(Buffer.concat([helloBytes(undefined, offer), encodeOpenFrame(1, 4, Method.Generate, 0, body)]));
  const offered = { compact: features.includes(Feature.CompactData), batch: features.includes(Feature.BatchData) };
  const deadline = Date.now() + 15_000;
  for (;;) {
    await peer.wait(peer.received().length + 1);
    try {
      return { got: readBySpec(peer.received(), offered), req };
    } catch (e) {
      if ((e as Error).message !== "incomplete" || Date.now() > deadline) throw e;
    }
  }
}

describe("a client written from the spec", () => {
  const cases: [string[], string][] = [
    [[Feature.BatchData], "batch"],
    [[Feature.CompactData, Feature.BatchData], "batch"],
    [[Feature.CompactData], "compact"],
    [[], "v1"],
  ];
  for (const [features, later] of cases) {
    it(`offering [${features.join(", ")}] reads the zero-delay engine's later chunks as ${later}`, async () => {
      const engine = createSyntheticEngine({ tokens: 12 });
      const { url } = await startClientServer(cleanups, { engine });
      const { got, req } = await specClient(url, features, 12);
      const expected = [...engine.expectedGenerate(create(GenerateRequestSchema, { ...req, model: "synthetic" }))];
      expect(got.at(-1)?.done).toBe(true);
      expect(got.map((c) => c.response).join("")).toBe(expected.join(""));
      expect(got.map((c) => c.sequence)).toEqual(got.map((_, i) => i));
      expect(got.every((c) => c.model === "synthetic")).toBe(true);
      expect(got[0].form).toBe("v1");
      expect(got.at(-1)?.form).toBe("v1");
      expect(got.slice(1, -1).every((c) => c.form === later)).toBe(true);
      // The engine yields its 12 tokens in one tick: after the first, the other 11 arrive as one batch.
      if (later === "batch") expect(got.slice(1, -1).every((c) => c.of === 11)).toBe(true);
    });
  }
});

describe("the server never holds a chunk back for a batch", () => {
  it("an engine that yields a chunk only once the previous one reached the client streams to the end", async () => {
    // Each chunk after the first is released by the test only when the client has read the one before: a server
    // that kept a produced chunk waiting for more to batch with would never deliver it, and this would time out.
    const inner = createSyntheticEngine({ tokens: 8 });
    let release: (() => void) | undefined;
    const engine = Object.create(inner) as typeof inner;
    engine.generate = (req, ctx) =>
      (async function* () {
        let first = true;
        for await (const c of inner.generate(req, ctx)) {
          if (!first) await new Promise<void>((r) => (release = r));
          first = false;
          yield c;
        }
      })();
    const { client } = await startClientServer(cleanups, { engine }, {});
    const it = client.generate({ model: "synthetic", prompt: "x", options: { numPredict: 8 } })[Symbol.asyncIterator]();
    const texts: string[] = [];
    let step = await it.next(); // the first chunk is not gated
    while (!step.done) {
      texts.push(step.value.response);
      if (step.value.done) break; // the final chunk: nothing more to release
      const next = it.next();
      // Let the engine produce exactly one more chunk; nothing else is released until the client has it.
      while (release === undefined) await new Promise((r) => setTimeout(r, 1));
      const r = release;
      release = undefined;
      r();
      step = await next;
    }
    expect(texts.length).toBe(9);
  });
});

/** A scripted server whose WELCOME announces `features` (or nothing). */
const scripted = (features: string | undefined, onOpen: (id: number, s: Socket) => void) =>
  scriptedServer(cleanups, onOpen, features === undefined ? {} : { [FEATURES_KEY]: features });

const payload = (text: string, model = "m") =>
  toBinary(GenerateResponseSchema, create(GenerateResponseSchema, { model, response: text }));
const endFrame = (id: number, sequence: number) =>
  encodeFrame({
    type: FrameType.End,
    streamId: id,
    sequence,
    payload: toBinary(GenerateResponseSchema, create(GenerateResponseSchema, { model: "m", done: true })),
  });

async function collect(url: string, options: { batchData?: boolean } = {}) {
  const client = createMcpClient({ url, reconnect: false, ...options });
  cleanups.push(() => client.close());
  const got: [string, string, boolean][] = [];
  try {
    for await (const c of client.generate({ model: "m", prompt: "x" })) got.push([c.model, c.response, c.done]);
  } catch (e) {
    return { got, error: e as { code: Code; metadata: Record<string, string> } };
  }
  return { got, error: undefined };
}

describe("a client and the batched frames a server sends", () => {
  const batchAfterData = (id: number, s: Socket) => {
    s.write(encodeFrame({ type: FrameType.Data, streamId: id, sequence: 0, payload: payload("a") }));
    // Over 20 bytes: a v1 reader judges a header once it has 20 bytes of it.
    s.write(encodeBatchDataFrame(id, [payload("b".repeat(20), ""), payload("c", "")]));
  };

  it("from a server that did not announce the feature: bad_magic, the stream fails UNAVAILABLE", async () => {
    const r = await collect(await scripted(Feature.CompactData, batchAfterData));
    expect(r.got).toEqual([["m", "a", false]]);
    expect(r.error?.code).toBe(Code.Unavailable);
    expect(r.error?.metadata.reason).toBe("bad_magic");
  });

  it("announced, but the client did not offer it: bad_magic", async () => {
    const r = await collect(await scripted(Feature.BatchData, batchAfterData), { batchData: false });
    expect(r.error?.metadata.reason).toBe("bad_magic");
  });

  it("as a stream's first DATA frame: unexpected_frame (no model to inherit)", async () => {
    const url = await scripted(Feature.BatchData, (id, s) => s.write(encodeBatchDataFrame(id, [payload("a", "")])));
    const r = await collect(url);
    expect(r.got).toEqual([]);
    expect(r.error?.code).toBe(Code.Unavailable);
    expect(r.error?.metadata.reason).toBe("unexpected_frame");
  });

  it("malformed entries: bad_payload for the connection", async () => {
    const url = await scripted(Feature.BatchData, (id, s) => {
      s.write(encodeFrame({ type: FrameType.Data, streamId: id, sequence: 0, payload: payload("a") }));
      const bad = encodeBatchDataFrame(id, [payload("b", ""), payload("c", "")]);
      bad[6] = 3; // count 3, two entries
      s.write(bad);
    });
    const r = await collect(url);
    expect(r.error?.code).toBe(Code.Unavailable);
    expect(r.error?.metadata.reason).toBe("bad_payload");
  });

  it("an END whose sequence does not count every batched chunk: DATA_LOSS (sequence_gap)", async () => {
    const url = await scripted(Feature.BatchData, (id, s) => {
      batchAfterData(id, s);
      s.write(endFrame(id, 2)); // 1 + 2 chunks came before it: 3 expected
    });
    const r = await collect(url);
    expect(r.got.map((g) => g[1])).toEqual(["a", "b".repeat(20), "c"]);
    expect(r.error?.code).toBe(Code.DataLoss);
    expect(r.error?.metadata.reason).toBe("sequence_gap");
  });

  it("announced and offered: entries mixed with compact frames, models inherited, then the END", async () => {
    const url = await scripted(`${Feature.CompactData},${Feature.BatchData}`, (id, s) => {
      s.write(encodeFrame({ type: FrameType.Data, streamId: id, sequence: 0, payload: payload("a") }));
      s.write(encodeBatchDataFrame(id, [payload("b", ""), payload("c", "other"), payload("d", "")]));
      s.write(encodeCompactDataFrame(id, payload("e", "")));
      s.write(encodeBatchDataFrame(id, [payload("f", "")]));
      s.write(endFrame(id, 6));
    });
    const r = await collect(url);
    expect(r.error).toBeUndefined();
    expect(r.got).toEqual([
      ["m", "a", false],
      ["m", "b", false],
      ["other", "c", false],
      ["other", "d", false],
      ["other", "e", false],
      ["other", "f", false],
      ["m", "", true],
    ]);
  });
});
