import { createServer, connect as netConnect, type Socket } from "node:net";
import { create, equals, fromBinary, toBinary } from "@bufbuild/protobuf";
import { DataType, GenerateRequestSchema, InferenceRequestSchema } from "@modelwire/core";
import { createSyntheticEngine } from "@modelwire/engine";
import {
  createFrameDecoder,
  decodeOpenPayload,
  encodeFrame,
  encodeOpenFrame,
  FrameType,
  MAX_METHOD,
  Method,
} from "@modelwire/mcp-codec";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createFrameWriter } from "./frame-writer.js";
import { createMcpClient, createMcpServer } from "./index.js";
import { decodeInferenceRequest, encodeInferenceRequest } from "./inference-request.js";
import {
  encodeGenerateOpenFrame,
  encodeRequestOpenFrame,
  encodeRequestOpenFrameParts,
  LARGE_INPUT_BYTES,
} from "./request-frame.js";
import { cleanupAfterEach } from "./test-support/harness.js";

const cleanups = cleanupAfterEach();

const concat = (parts: Uint8Array[]) => Buffer.concat(parts);

/** The OPEN frame as the client built it before: InferenceRequest in its own buffer, then framed. */
function twoStep(
  id: number,
  dt: number,
  m: Method,
  t: number,
  mv: string,
  input: Uint8Array,
  md: Record<string, string> | undefined,
): Uint8Array {
  return encodeOpenFrame(id, dt, m, t, encodeInferenceRequest(mv, input, md));
}

const argsArb = fc.record({
  id: fc.integer({ min: 1, max: 0x7fffffff }),
  dt: fc.integer({ min: 0, max: 6 }),
  method: fc.integer({ min: 1, max: MAX_METHOD }),
  timeout: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffffffff })),
  mv: fc.string({ unit: "grapheme", maxLength: 30 }),
  input: fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.constant(new Uint8Array(0))),
  md: fc.option(
    fc.dictionary(fc.string({ maxLength: 12 }), fc.string({ unit: "grapheme", maxLength: 40 }), { maxKeys: 4 }),
    {
      nil: undefined,
    },
  ),
});

describe("OPEN frame with the InferenceRequest written in place", () => {
  it("is byte-identical to framing a separately encoded InferenceRequest, whole and as parts", () => {
    fc.assert(
      fc.property(argsArb, (a) => {
        const want = Buffer.from(twoStep(a.id, a.dt, a.method, a.timeout, a.mv, a.input, a.md));
        const whole = encodeRequestOpenFrame(a.id, a.dt, a.method, a.timeout, a.mv, a.input, a.md);
        expect(Buffer.from(whole).equals(want)).toBe(true);
        const parts = encodeRequestOpenFrameParts(a.id, a.dt, a.method, a.timeout, a.mv, a.input, a.md);
        expect(concat(parts).equals(want)).toBe(true);
        // The input is a part of its own, by reference: never copied.
        if (a.input.length > 0) expect(parts[1]).toBe(a.input);
        // And it is the InferenceRequest protobuf-es reads.
        const d = createFrameDecoder();
        d.push(whole);
        const f = d.next();
        expect(f?.type).toBe(FrameType.Open);
        const open = decodeOpenPayload(f?.payload ?? new Uint8Array(0));
        expect(open.timeoutMs).toBe(a.timeout);
        const ir = fromBinary(InferenceRequestSchema, open.body);
        expect(ir.modelVersion).toBe(a.mv);
        expect(Buffer.from(ir.inputData).equals(Buffer.from(a.input))).toBe(true);
        // Metadata through our own decoder: protobuf-es drops a map key named "__proto__" (fast-check finds it).
        expect({ ...decodeInferenceRequest(open.body).metadata }).toEqual({ ...(a.md ?? {}) });
      }),
      { numRuns: 300 },
    );
  });

  it("a 256 KiB image request: same bytes as before, the image copied once into one buffer", () => {
    const image = new Uint8Array(256 * 1024);
    for (let i = 0; i < image.length; i++) image[i] = (i * 31 + 7) & 0xff;
    const req = create(GenerateRequestSchema, { model: "llava:7b", prompt: "describe", images: [image] });
    const inner = toBinary(GenerateRequestSchema, create(GenerateRequestSchema, { ...req, model: "" }));
    const want = Buffer.from(
      twoStep(9, DataType.GENERATE_REQUEST, Method.Generate, 30_000, "llava:7b", inner, { "trace-id": "t1" }),
    );
    const got = encodeGenerateOpenFrame(9, req, 30_000, { "trace-id": "t1" });
    expect(Buffer.from(got).equals(want)).toBe(true);
    expect(got.byteOffset).toBe(0);
    expect(got.buffer.byteLength).toBe(want.length); // exactly one allocation of the frame's size
    expect(req.model).toBe("llava:7b"); // not modified
    // Without metadata or deadline too (the large-frame buffer is not zero-filled: every byte must be written).
    for (let i = 0; i < 5; i++) {
      const plain = encodeRequestOpenFrame(3, DataType.GENERATE_REQUEST, Method.Generate, 0, "llava:7b", inner);
      const plainWant = twoStep(3, DataType.GENERATE_REQUEST, Method.Generate, 0, "llava:7b", inner, undefined);
      expect(Buffer.from(plain).equals(Buffer.from(plainWant))).toBe(true);
    }
    const parts = encodeRequestOpenFrameParts(
      9,
      DataType.GENERATE_REQUEST,
      Method.Generate,
      30_000,
      "llava:7b",
      inner,
      { "trace-id": "t1" },
    );
    expect(parts).toHaveLength(3);
    expect(parts[1]).toBe(inner);
    expect(concat(parts).equals(want)).toBe(true);
    expect(inner.length).toBeGreaterThanOrEqual(LARGE_INPUT_BYTES);
  });
});

async function socketPair(): Promise<{ a: Socket; received: () => Buffer; bytes: () => number }> {
  const chunks: Buffer[] = [];
  const server = createServer((s) => s.on("data", (d) => chunks.push(d)));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  const a = netConnect({ host: "127.0.0.1", port });
  await new Promise<void>((r) => a.once("connect", r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        a.destroy();
        server.close(() => r());
      }),
  );
  return { a, received: () => Buffer.concat(chunks), bytes: () => chunks.reduce((n, c) => n + c.length, 0) };
}

describe("frame writer and large frames", () => {
  it("writes a large buffer as it is (corked with its neighbours), the stream's bytes unchanged", async () => {
    const { a, received, bytes } = await socketPair();
    const writes: Uint8Array[] = [];
    let corks = 0;
    const origWrite = a.write.bind(a);
    const origCork = a.cork.bind(a);
    a.write = ((chunk: Uint8Array, ...rest: never[]) => {
      writes.push(chunk);
      return origWrite(chunk, ...rest);
    }) as typeof a.write;
    a.cork = () => {
      corks++;
      origCork();
    };
    const w = createFrameWriter(a);
    const small1 = encodeFrame({ type: FrameType.Ping, streamId: 0, payload: new Uint8Array(8).fill(1) });
    const small2 = encodeFrame({ type: FrameType.Cancel, streamId: 3 });
    const big = new Uint8Array(300 * 1024).fill(0xab);
    const parts = encodeRequestOpenFrameParts(5, DataType.TEXT, Method.Generate, 0, "m", big, { k: "v" });
    const small3 = encodeFrame({ type: FrameType.Cancel, streamId: 7 });
    w.write(small1);
    w.write(small2);
    w.writeParts(parts);
    w.write(small3);
    await new Promise((r) => setImmediate(r));
    const want = Buffer.concat([small1, small2, ...parts, small3]);
    expect(w.bytesOut).toBe(want.length);
    expect(writes).toContain(big); // handed over by reference, not concatenated
    expect(writes.every((b) => b === big || b.length < LARGE_INPUT_BYTES)).toBe(true);
    expect(corks).toBe(1);
    const end = Date.now() + 10_000;
    while (bytes() < want.length && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    expect(received().equals(want)).toBe(true);
  });

  it("small frames of one tick still go out as one concatenated write, without corking", async () => {
    const { a, received, bytes } = await socketPair();
    const writes: Uint8Array[] = [];
    const origWrite = a.write.bind(a);
    a.write = ((chunk: Uint8Array, ...rest: never[]) => {
      writes.push(chunk);
      return origWrite(chunk, ...rest);
    }) as typeof a.write;
    const w = createFrameWriter(a);
    const frames = [1, 3, 5].map((id) => encodeFrame({ type: FrameType.Cancel, streamId: id }));
    for (const f of frames) w.write(f);
    await new Promise((r) => setImmediate(r));
    expect(writes).toHaveLength(1);
    const want = Buffer.concat(frames);
    const end = Date.now() + 10_000;
    while (bytes() < want.length && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    expect(received().equals(want)).toBe(true);
  });
});

describe("client with large requests", () => {
  it("a generate carrying a 1 MiB image reaches the engine intact", async () => {
    const engine = createSyntheticEngine({ tokens: 3 });
    const seen: Uint8Array[] = [];
    const spy = {
      ...engine,
      generate: (req: Parameters<typeof engine.generate>[0], ctx: Parameters<typeof engine.generate>[1]) => {
        seen.push(...req.images);
        return engine.generate(req, ctx);
      },
    };
    const server = createMcpServer({ tcp: { port: 0 }, engine: spy });
    const [addr] = await server.listen();
    const client = createMcpClient({ url: addr.url });
    cleanups.push(async () => {
      await client.close();
      await server.close({ graceMs: 0 });
    });
    const image = new Uint8Array(1 << 20);
    for (let i = 0; i < image.length; i++) image[i] = (i * 13) & 0xff;
    const req = create(GenerateRequestSchema, { model: "synthetic:latest", prompt: "look", images: [image] });
    let chunks = 0;
    for await (const c of client.generate(req, { metadata: { "trace-id": "big" } })) if (!c.done) chunks++;
    expect(chunks).toBe(3);
    expect(seen).toHaveLength(1);
    expect(Buffer.from(seen[0]).equals(Buffer.from(image))).toBe(true);
    expect(
      equals(
        GenerateRequestSchema,
        req,
        create(GenerateRequestSchema, { model: "synthetic:latest", prompt: "look", images: [image] }),
      ),
    ).toBe(true);
  });
});
