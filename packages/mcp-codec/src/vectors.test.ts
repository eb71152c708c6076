import { fromBinary, toJson } from "@bufbuild/protobuf";
import {
  type Code,
  codeName,
  GenerateRequestSchema,
  GenerateResponseSchema,
  InferenceRequestSchema,
  ModelwireError,
} from "@modelwire/core";
import { describe, expect, it } from "vitest";
import errorVectors from "../vectors/errors.json" with { type: "json" };
import frameVectors from "../vectors/frames.json" with { type: "json" };
import serverVectors from "../vectors/server.json" with { type: "json" };
import sessionVectors from "../vectors/session.json" with { type: "json" };
import {
  createFrameDecoder,
  decodeErrorPayload,
  decodeGoaway,
  decodeHello,
  decodeOpenPayload,
  decodePing,
  decodeWelcome,
  encodeFrames,
  type Frame,
  FrameType,
  Method,
} from "./index.js";
import { decodeAll } from "./test-support/decode-all.js";

const load = (name: string): unknown => (name === "frames.json" ? frameVectors : errorVectors);
const fromHex = (h: string) => Uint8Array.from(Buffer.from(h, "hex"));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");

interface FrameVector {
  type: string;
  typeValue: number;
  flags: number;
  dataType: number;
  streamId: number;
  sequence: number;
  payloadHex: string;
  decoded: unknown;
}

function meaning(f: Frame): unknown {
  switch (f.type) {
    case FrameType.Hello:
      return decodeHello(f.payload);
    case FrameType.Welcome: {
      const w = decodeWelcome(f.payload);
      return { ...w, sessionId: toHex(w.sessionId) };
    }
    case FrameType.Open: {
      const o = decodeOpenPayload(f.payload);
      const inf = fromBinary(InferenceRequestSchema, o.body);
      const base = {
        method: Method[o.method].toLowerCase(),
        timeoutMs: o.timeoutMs,
        inferenceRequest: toJson(InferenceRequestSchema, inf),
      };
      if (f.dataType === 4)
        return { ...base, input: toJson(GenerateRequestSchema, fromBinary(GenerateRequestSchema, inf.inputData)) };
      if (f.dataType === 1) return { ...base, input: new TextDecoder().decode(inf.inputData) };
      return base;
    }
    case FrameType.Data:
    case FrameType.End:
      return {
        message: "modelwire.v1.GenerateResponse",
        json: toJson(GenerateResponseSchema, fromBinary(GenerateResponseSchema, f.payload)),
      };
    case FrameType.Error: {
      const e = decodeErrorPayload(f.payload);
      return { ...e, codeName: codeName(e.code) };
    }
    case FrameType.Ping:
      return { value: decodePing(f.payload) };
    case FrameType.Goaway:
      return decodeGoaway(f.payload);
    default:
      return null;
  }
}

describe("valid vectors (vectors/frames.json)", () => {
  const { vectors } = load("frames.json") as unknown as {
    vectors: { name: string; hex: string; frames: FrameVector[] }[];
  };
  it("covers every frame type", () => {
    const types = new Set(vectors.flatMap((v) => v.frames.map((f) => f.typeValue)));
    for (let t = FrameType.Hello; t <= FrameType.Goaway; t++) expect(types.has(t)).toBe(true);
  });
  for (const v of vectors) {
    it(`${v.name}: hex decodes to the stated meaning in any chunking, and the meaning encodes to the hex`, () => {
      const bytes = fromHex(v.hex);
      for (const chunk of [bytes.length, 1, 3, 7, 20, 21]) {
        const frames = decodeAll(bytes, chunk);
        expect(frames.length).toBe(v.frames.length);
        frames.forEach((f, i) => {
          const want = v.frames[i];
          expect(FrameType[f.type].toUpperCase()).toBe(want.type);
          expect({ flags: f.flags, dataType: f.dataType, streamId: f.streamId, sequence: f.sequence }).toEqual({
            flags: want.flags,
            dataType: want.dataType,
            streamId: want.streamId,
            sequence: want.sequence,
          });
          expect(toHex(f.payload)).toBe(want.payloadHex);
          expect(meaning(f)).toEqual(want.decoded);
        });
      }
      const reencoded = encodeFrames(
        v.frames.map((f) => ({
          type: f.typeValue,
          flags: f.flags,
          dataType: f.dataType,
          streamId: f.streamId,
          sequence: f.sequence,
          payload: fromHex(f.payloadHex),
        })),
      );
      expect(toHex(reencoded)).toBe(v.hex);
    });
  }
});

describe("error vectors (vectors/errors.json)", () => {
  const { vectors } = load("errors.json") as unknown as {
    vectors: {
      name: string;
      layer: string;
      payloadKind?: string;
      maxFrameSize: number;
      hex: string;
      error: { reason: string; code: Code };
    }[];
  };
  const payloadDecoders: Record<string, (b: Uint8Array) => unknown> = {
    open: decodeOpenPayload,
    hello: decodeHello,
    welcome: decodeWelcome,
    error: decodeErrorPayload,
    goaway: decodeGoaway,
  };
  for (const v of vectors) {
    it(`${v.name}: fails with ${v.error.reason} (${codeName(v.error.code)}) in any chunking`, () => {
      const bytes = fromHex(v.hex);
      for (const chunk of [bytes.length, 1, 5]) {
        const d = createFrameDecoder({ maxFrameSize: v.maxFrameSize });
        let caught: unknown;
        const frames: Frame[] = [];
        try {
          for (let i = 0; i < bytes.length; i += chunk) {
            d.push(bytes.subarray(i, i + chunk));
            for (const f of d) frames.push(f);
          }
          if (v.layer === "payload") {
            expect(frames.length).toBe(1);
            payloadDecoders[v.payloadKind as string](frames[0].payload);
          }
        } catch (e) {
          caught = e;
        }
        expect(caught).toBeInstanceOf(ModelwireError);
        const err = caught as ModelwireError;
        expect(err.metadata.reason).toBe(v.error.reason);
        expect(err.code).toBe(v.error.code);
        if (v.layer === "frame") {
          // A failed decoder stays failed and holds nothing.
          expect(d.error).toBe(err);
          expect(d.buffered).toBe(0);
          expect(() => d.next()).toThrow(err);
        }
      }
    });
  }
});

describe("session vectors (vectors/session.json) at the frame layer", () => {
  // The session rules themselves need a server and are run by @modelwire/mcp's tests; here we check that each
  // vector is well-formed at the frame layer (so the server must catch it by state), except where the vector's
  // reason is itself a frame-layer reason.
  const frameReasons = new Set([
    "bad_magic",
    "unsupported_version",
    "unknown_type",
    "reserved_bits",
    "frame_too_large",
    "bad_stream_id",
    "bad_data_type",
    "bad_payload",
  ]);
  for (const v of sessionVectors.vectors) {
    it(`${v.name}`, () => {
      const d = createFrameDecoder();
      d.push(fromHex(v.clientHex));
      const frames: Frame[] = [];
      let caught: ModelwireError | undefined;
      try {
        for (const f of d) frames.push(f);
      } catch (e) {
        caught = e as ModelwireError;
      }
      if (caught) {
        // The decoder itself refuses it: the reason must be a frame-layer one, and this one.
        expect(frameReasons.has(v.error.reason)).toBe(true);
        expect(caught.metadata.reason).toBe(v.error.reason);
        return;
      }
      expect(d.buffered).toBe(0);
      if (v.error.reason === "bad_payload") {
        // Well-formed frames, one of whose payloads is not.
        const payloadReasons = frames.map((f) => {
          try {
            meaning(f);
            return undefined;
          } catch (e) {
            return (e as ModelwireError).metadata.reason;
          }
        });
        expect(payloadReasons).toContain("bad_payload");
      } else if (v.clientHex !== "") {
        // Well-formed frames the server must refuse by its state or the frame's direction.
        expect(frames.length).toBeGreaterThan(0);
        expect(frameReasons.has(v.error.reason)).toBe(false);
      }
    });
  }
});

describe("server vectors (vectors/server.json) at the frame layer", () => {
  // What the server answers needs a server (@modelwire/mcp's tests); here: every client byte is a valid frame whose
  // payload decodes, so the answers the vectors name are about behaviour, not about malformed input.
  for (const v of serverVectors.vectors) {
    it(`${v.name}`, () => {
      const d = createFrameDecoder();
      d.push(fromHex(v.clientHex));
      const frames = [...d];
      expect(d.buffered).toBe(0);
      expect(frames[0].type).toBe(FrameType.Hello);
      for (const f of frames) if (f.type !== FrameType.Open) meaning(f);
    });
  }
});
