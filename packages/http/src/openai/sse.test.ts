import { Code, type ModelwireError } from "@modelwire/core";
import { createParser } from "eventsource-parser";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SSE_DONE, sseData, sseEvents } from "./sse.js";
import { readSseData } from "./sse-read.js";

/** Parses SSE text with a well-kept parser, fed in pieces of the given sizes. */
function parse(text: string, cuts: number[] = []): string[] {
  const out: string[] = [];
  const p = createParser({ onEvent: (e) => out.push(e.data) });
  let at = 0;
  for (const n of cuts) {
    p.feed(text.slice(at, at + n));
    at += n;
  }
  p.feed(text.slice(at));
  return out;
}

describe("SSE framing", () => {
  it("frames each JSON text as one data event, readable by eventsource-parser however it is split", () => {
    fc.assert(
      fc.property(
        fc.array(fc.jsonValue(), { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(40), { maxLength: 20 }),
        (values, cuts) => {
          const jsons = values.map((v) => JSON.stringify(v));
          const text = sseEvents(jsons) + SSE_DONE;
          expect(parse(text, cuts)).toEqual([...jsons, "[DONE]"]);
        },
      ),
    );
  });

  it("keeps line breaks and U+2028 inside a string on one data line", () => {
    const json = JSON.stringify({ content: "a\nb\r\nc\u2028d\u2029" });
    expect(sseData(json)).toBe(`data: ${json}\n\n`);
    expect(sseData(json).split("\n")).toHaveLength(3);
    expect(JSON.parse(parse(sseData(json))[0]).content).toBe("a\nb\r\nc\u2028d\u2029");
  });
});

describe("readSseData (the client's reader)", () => {
  async function read(chunks: Array<Uint8Array | string>, max?: number): Promise<string[]> {
    const out: string[] = [];
    for await (const d of readSseData(
      (async function* () {
        yield* chunks;
      })(),
      { maxEventChars: max },
    ))
      out.push(d);
    return out;
  }
  const code = async (p: Promise<unknown>) =>
    (
      await p.then(
        () => undefined,
        (e) => e as ModelwireError,
      )
    )?.code;

  it("yields data up to [DONE], across chunk boundaries and split UTF-8, skipping comments", async () => {
    const text = Buffer.from(`: hi\n\ndata: {"a":"é€"}\r\n\r\ndata: 2\n\ndata: [DONE]\n\ndata: after\n\n`);
    const cuts = [3, 15, 16, 17, 30];
    const chunks = cuts.map((c, i) => text.subarray(i === 0 ? 0 : cuts[i - 1], c));
    chunks.push(text.subarray(cuts.at(-1)));
    expect(await read(chunks)).toEqual(['{"a":"é€"}', "2"]);
  });

  it("a body that ends before [DONE] is Aborted, a too long event ResourceExhausted, bad UTF-8 DataLoss", async () => {
    expect(await code(read(["data: 1\n\n"]))).toBe(Code.Aborted);
    expect(await code(read([`data: ${"x".repeat(100)}`], 50))).toBe(Code.ResourceExhausted);
    expect(await code(read([new Uint8Array([0x64, 0x61, 0xff, 0x0a])]))).toBe(Code.DataLoss);
  });
});
