/**
 * The `compact-data` feature (docs/mcp-wire.md §4.7–4.8) between peers that do and do not speak it: new client and
 * new server, each against the other with the feature off (what a v1 peer does: a v1 client never offers it, a v1
 * server ignores the offer and announces nothing), a client written here from the spec alone (its own parser, no
 * @modelwire/mcp-codec decoder), and what a client does with compact frames it did not ask for.
 */
import type { Socket } from "node:net";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, GenerateRequestSchema, GenerateResponseSchema, InferenceRequestSchema } from "@modelwire/core";
import { createSyntheticEngine } from "@modelwire/engine";
import {
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

/** Bytes the client read for one 40-token generate, and what it got. */
async function run(serverCompact: boolean, clientCompact: boolean) {
  const engine = createSyntheticEngine({ tokens: TOKENS });
  const { client } = await startClientServer(
    cleanups,
    { engine, compactData: serverCompact },
    // batch-data off: these byte counts are compact-data's alone (batch-data.test.ts covers the two together).
    { compactData: clientCompact, batchData: false },
  );
  await client.version();
  const before = (client.stats().extra as { bytesIn: number }).bytesIn;
  const chunks = await generateAll(client, "why is the sky blue?", TOKENS);
  const bytes = (client.stats().extra as { bytesIn: number }).bytesIn - before;
  return { chunks, bytes, expected: engine };
}

describe("compact-data between new and old peers", () => {
  it("new client + new server: compact, the same chunks (model included) as v1, fewer bytes", async () => {
    const on = await run(true, true);
    const off = await run(true, false);
    const oldServer = await run(false, true);
    expect(on.chunks.length).toBe(TOKENS + 1);
    // Same messages whichever way they travelled: models filled back in, texts and order unchanged.
    const strip = (cs: typeof on.chunks) => cs.map((c) => ({ ...c, createdAt: undefined, metrics: undefined }));
    expect(strip(on.chunks)).toEqual(strip(off.chunks));
    expect(strip(oldServer.chunks)).toEqual(strip(off.chunks));
    for (const c of on.chunks) expect(c.model).toBe("synthetic");
    // v1 either way when one side does not have it; compact saves 13 header bytes and the model field (2 + 9
    // bytes) per later DATA frame. Each chunk's created_at (Date.now()) varies by up to 3 bytes between runs.
    const slack = 3 * (TOKENS + 1);
    expect(Math.abs(oldServer.bytes - off.bytes)).toBeLessThanOrEqual(slack);
    expect(Math.abs(off.bytes - on.bytes - (TOKENS - 1) * (13 + 2 + "synthetic".length))).toBeLessThanOrEqual(slack);
  });
});

/**
 * A client side written from docs/mcp-wire.md alone: reads v1 frames (20-byte header) and compact DATA frames
 * (0xDA, u32 stream id, u16 length) off a byte buffer, assigns sequences and models as §4.8 says, decodes payloads
 * with protobuf-es. Returns the chunks of stream 1 up to its END, and how each came.
 */
function readBySpec(buf: Buffer, compactOn: boolean) {
  let o = 0;
  let seq = 0;
  let model = "";
  const out: { form: string; sequence: number; response: string; model: string; done: boolean }[] = [];
  while (o < buf.length) {
    if (buf[o] === 0x4d && buf[o + 1] === 0x43) {
      const type = buf[o + 3];
      const stream = buf.readUInt32BE(o + 8);
      const sequence = buf.readUInt32BE(o + 12);
      const len = buf.readUInt32BE(o + 16);
      const payload = buf.subarray(o + 20, o + 20 + len);
      o += 20 + len;
      if (type === FrameType.Welcome) continue;
      expect(stream).toBe(1);
      expect(sequence).toBe(seq);
      const m = fromBinary(GenerateResponseSchema, payload);
      if (type === FrameType.Data) model = m.model;
      out.push({ form: "v1", sequence, response: m.response, model: m.model, done: m.done });
      seq = sequence + 1;
      if (type === FrameType.End) break;
    } else {
      expect(compactOn).toBe(true);
      expect(buf[o]).toBe(0xda);
      expect(seq).toBeGreaterThan(0);
      const stream = buf.readUInt32BE(o + 1);
      const len = buf.readUInt16BE(o + 5);
      const m = fromBinary(GenerateResponseSchema, buf.subarray(o + 7, o + 7 + len));
      o += 7 + len;
      expect(stream).toBe(1);
      if (m.model === "") m.model = model;
      model = m.model;
      out.push({ form: "compact", sequence: seq++, response: m.response, model: m.model, done: m.done });
    }
  }
  return out;
}

describe("a client written from the spec", () => {
  for (const offer of [true, false]) {
    it(`${offer ? "offering" : "not offering"} compact-data reads the reply ${offer ? "in compact form" : "as v1"}`, async () => {
      const engine = createSyntheticEngine({ tokens: 12 });
      const { url } = await startClientServer(cleanups, { engine });
      const peer = await rawBytesPeer(url, cleanups);
      const hello = helloBytes(undefined, offer ? { [FEATURES_KEY]: `some-future-thing,${Feature.CompactData}` } : {});
      const req = create(GenerateRequestSchema, { prompt: "tell me", options: { numPredict: 12 } });
      const body = toBinary(
        InferenceRequestSchema,
        create(InferenceRequestSchema, { modelVersion: "synthetic", inputData: toBinary(GenerateRequestSchema, req) }),
      );
      peer.socket.write(Buffer.concat([hello, encodeOpenFrame(1, 4, Method.Generate, 0, body)]));
      const expected = [...engine.expectedGenerate(create(GenerateRequestSchema, { ...req, model: "synthetic" }))];
      // Read until the END frame has arrived whole (its type byte is known once its header is in).
      const deadline = Date.now() + 10_000;
      let got: ReturnType<typeof readBySpec> = [];
      while (Date.now() < deadline) {
        await peer.wait(peer.received().length + 1);
        try {
          got = readBySpec(peer.received(), offer);
        } catch {
          continue;
        }
        if (got.at(-1)?.done) break;
      }
      expect(got.at(-1)?.done).toBe(true);
      expect(got.map((c) => c.response).join("")).toBe(expected.join(""));
      expect(got.every((c) => c.model === "synthetic")).toBe(true);
      const forms = got.map((c) => c.form);
      expect(forms[0]).toBe("v1");
      expect(forms.at(-1)).toBe("v1");
      expect(forms.slice(1, -1).every((f) => f === (offer ? "compact" : "v1"))).toBe(true);
    });
  }
});

/** A scripted server whose WELCOME announces `features` (or nothing). */
const scripted = (features: string | undefined, onOpen: (id: number, s: Socket) => void) =>
  scriptedServer(cleanups, onOpen, features === undefined ? {} : { [FEATURES_KEY]: features });

const payload = (text: string, model = "m") =>
  toBinary(GenerateResponseSchema, create(GenerateResponseSchema, { model, response: text }));

async function firstError(url: string, clientCompact = true) {
  const client = createMcpClient({ url, compactData: clientCompact, reconnect: false });
  cleanups.push(() => client.close());
  const texts: string[] = [];
  try {
    for await (const c of client.generate({ model: "m", prompt: "x" })) texts.push(c.response);
  } catch (e) {
    return { texts, error: e as { code: Code; message: string; metadata: Record<string, string> } };
  }
  return { texts, error: undefined };
}

describe("a client refuses compact frames it cannot take", () => {
  // Three compact frames: a v1 reader judges a header once it has 20 bytes of it.
  const script = (id: number, s: Socket) => {
    s.write(encodeFrame({ type: FrameType.Data, streamId: id, sequence: 0, payload: payload("a") }));
    for (const t of ["b", "c", "d"]) s.write(encodeCompactDataFrame(id, payload(t, "")));
  };

  it("from a server that did not announce the feature: bad_magic, the stream fails UNAVAILABLE", async () => {
    const r = await firstError(await scripted(undefined, script));
    expect(r.error?.code).toBe(Code.Unavailable);
    expect(r.error?.metadata.reason).toBe("bad_magic");
  });

  it("announced, but the client did not offer it: bad_magic", async () => {
    const r = await firstError(await scripted(Feature.CompactData, script), false);
    expect(r.error?.code).toBe(Code.Unavailable);
    expect(r.error?.metadata.reason).toBe("bad_magic");
  });

  it("as a stream's first DATA frame: unexpected_frame (no model to inherit)", async () => {
    const url = await scripted(Feature.CompactData, (id, s) => {
      s.write(encodeCompactDataFrame(id, payload("a", "")));
    });
    const r = await firstError(url);
    expect(r.texts).toEqual([]);
    expect(r.error?.code).toBe(Code.Unavailable);
    expect(r.error?.metadata.reason).toBe("unexpected_frame");
  });

  it("announced and offered: the compact chunk arrives with the model of the DATA before it", async () => {
    const url = await scripted(Feature.CompactData, (id, s) => {
      s.write(encodeFrame({ type: FrameType.Data, streamId: id, sequence: 0, payload: payload("a") }));
      s.write(encodeCompactDataFrame(id, payload("b", "")));
      s.write(encodeCompactDataFrame(id, payload("c", "other")));
      s.write(encodeCompactDataFrame(id, payload("d", "")));
      const end = create(GenerateResponseSchema, { model: "m", done: true, doneReason: "stop" });
      s.write(
        encodeFrame({ type: FrameType.End, streamId: id, sequence: 4, payload: toBinary(GenerateResponseSchema, end) }),
      );
    });
    const client = createMcpClient({ url, reconnect: false });
    cleanups.push(() => client.close());
    const got = [];
    for await (const c of client.generate({ model: "m", prompt: "x" })) got.push([c.model, c.response, c.done]);
    expect(got).toEqual([
      ["m", "a", false],
      ["m", "b", false],
      ["other", "c", false],
      ["other", "d", false],
      ["m", "", true],
    ]);
  });
});
