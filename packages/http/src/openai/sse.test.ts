import { createParser } from "eventsource-parser";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SSE_DONE, sseData, sseEvents } from "./sse.js";

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
