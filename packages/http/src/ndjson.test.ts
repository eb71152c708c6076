import { create } from "@bufbuild/protobuf";
import { Code, GenerateResponseSchema, ModelwireError } from "@modelwire/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createNdjsonDecoder, parseNdjson, readOllamaStream } from "./ndjson.js";
import { generateResponseFromJson, generateResponseToJson } from "./ollama-json.js";

const enc = new TextEncoder();

/** Cuts bytes at the given (sorted, deduplicated) offsets. */
function cut(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((x, y) => x - y);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  out.push(bytes.subarray(prev));
  return out;
}

const jsonValue = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);
// Full Unicode strings so that multi-byte UTF-8 characters land on chunk boundaries.
const unicodeObject = fc.record({ text: fc.string({ unit: "binary", maxLength: 30 }), n: fc.integer() });

async function* from(chunks: Uint8Array[]) {
  for (const c of chunks) yield c;
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of it) out.push(v);
  return out;
}

async function rejection(p: Promise<unknown>): Promise<ModelwireError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ModelwireError);
    return e as ModelwireError;
  }
  throw new Error("expected a rejection");
}

describe("NDJSON decoder", () => {
  it("yields every value whatever the chunking (lines split, joined, UTF-8 split, CRLF, blank lines)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(jsonValue, unicodeObject), { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        fc.boolean(),
        fc.boolean(),
        (values, cuts, crlf, finalNewline) => {
          const sep = crlf ? "\r\n" : "\n";
          let text = values.map((v) => JSON.stringify(v)).join(`${sep}${values.length % 3 === 0 ? sep : ""}`);
          if (finalNewline && values.length > 0) text += sep;
          const d = createNdjsonDecoder();
          const got: unknown[] = [];
          for (const c of cut(enc.encode(text), cuts)) got.push(...d.push(c));
          got.push(...d.end());
          expect(got).toEqual(values);
          expect(d.pendingBytes).toBe(0);
        },
      ),
      { numRuns: 400 },
    );
  });

  it("refuses a line longer than the limit under any chunking, before the newline arrives", () => {
    fc.assert(
      fc.property(fc.integer({ min: 8, max: 64 }), fc.array(fc.nat(), { maxLength: 10 }), (max, cuts) => {
        const long = enc.encode(`${JSON.stringify("x".repeat(max))}`); // max + 2 bytes, no newline
        const d = createNdjsonDecoder({ maxLineBytes: max });
        let err: unknown;
        try {
          for (const c of cut(long, cuts)) d.push(c);
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(ModelwireError);
        expect((err as ModelwireError).code).toBe(Code.ResourceExhausted);
        expect(d.pendingBytes).toBeLessThanOrEqual(max + 1);
      }),
      { numRuns: 200 },
    );
  });

  it("accepts a line of exactly the limit, with LF or CRLF", () => {
    const line = JSON.stringify("y".repeat(8)); // 10 bytes
    for (const sep of ["\n", "\r\n"]) {
      const d = createNdjsonDecoder({ maxLineBytes: 10 });
      expect(d.push(enc.encode(line + sep + line + sep))).toEqual(["yyyyyyyy", "yyyyyyyy"]);
    }
    const d = createNdjsonDecoder({ maxLineBytes: 9 });
    expect(() => d.push(enc.encode(`${line}\n`))).toThrow(ModelwireError);
  });

  it("reports invalid JSON and invalid UTF-8 with codes and the line number", () => {
    const d = createNdjsonDecoder();
    d.push(enc.encode('{"a":1}\n'));
    let err: ModelwireError | undefined;
    try {
      d.push(enc.encode('{"a":\n'));
    } catch (e) {
      err = e as ModelwireError;
    }
    expect(err?.code).toBe(Code.Internal);
    expect(err?.metadata.line).toBe("2");
    const u = createNdjsonDecoder();
    expect(() => u.push(new Uint8Array([0x22, 0xff, 0xfe, 0x22, 0x0a]))).toThrow(/UTF-8/);
  });

  it("parses a stream of strings and bytes", async () => {
    async function* src() {
      yield '{"a":';
      yield enc.encode('1}\n{"b"');
      yield ":2}";
    }
    expect(await collect(parseNdjson(src()))).toEqual([{ a: 1 }, { b: 2 }]);
  });
});

describe("Ollama stream reader", () => {
  const line = (done: boolean, response = "t") =>
    `${JSON.stringify(generateResponseToJson(create(GenerateResponseSchema, { model: "m", response, done })))}\n`;

  it("stops at done: true and yields every chunk under random chunkings", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({ unit: "binary", maxLength: 6 }), { maxLength: 10 }),
        fc.array(fc.nat()),
        async (tokens, cuts) => {
          const text = tokens.map((t) => line(false, t)).join("") + line(true, "");
          const got = await collect(readOllamaStream(from(cut(enc.encode(text), cuts)), generateResponseFromJson));
          expect(got.map((c) => c.response)).toEqual([...tokens, ""]);
          expect(got.at(-1)?.done).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("turns an error line into a coded error, and uses modelwire's code key when present", async () => {
    const e1 = await rejection(
      collect(
        readOllamaStream(from([enc.encode(`${line(false)}{"error":"GPU on fire"}\n`)]), generateResponseFromJson),
      ),
    );
    expect(e1.code).toBe(Code.Internal);
    expect(e1.rawMessage).toBe("GPU on fire");
    const e2 = await rejection(
      collect(
        readOllamaStream(
          from([enc.encode('{"error":"deadline exceeded","code":"deadline_exceeded"}\n')]),
          generateResponseFromJson,
        ),
      ),
    );
    expect(e2.code).toBe(Code.DeadlineExceeded);
  });

  it("fails a stream that ends without done: true", async () => {
    const e = await rejection(
      collect(readOllamaStream(from([enc.encode(line(false) + line(false))]), generateResponseFromJson)),
    );
    expect(e.code).toBe(Code.Aborted);
    expect(e.metadata.chunks).toBe("2");
    const empty = await rejection(collect(readOllamaStream(from([]), generateResponseFromJson)));
    expect(empty.code).toBe(Code.Aborted);
  });

  it("fails a chunk of the wrong shape as Internal", async () => {
    const e = await rejection(
      collect(readOllamaStream(from([enc.encode('{"done":"yes"}\n')]), generateResponseFromJson)),
    );
    expect(e.code).toBe(Code.Internal);
  });
});
