/** NDJSON line framing (Ollama's streaming body): one JSON document per line, split incrementally on `\n`. */
import { Code, ModelwireError } from "@modelwire/core";
import type { FrameReader } from "./codec.js";
import { MAX_MESSAGE_BYTES } from "./protobuf.js";

const NEWLINE = 0x0a;

/** Appends the line terminator to one encoded document. */
export function encodeLine(doc: Uint8Array): Uint8Array {
  const out = new Uint8Array(doc.length + 1);
  out.set(doc);
  out[doc.length] = NEWLINE;
  return out;
}

/** Splits a byte stream into lines (without the `\n`); a line longer than `maxLineBytes` is refused. */
export function createLineReader(maxLineBytes = MAX_MESSAGE_BYTES): FrameReader<Uint8Array> {
  let held: Uint8Array = new Uint8Array(0);
  return {
    get pending() {
      return held.length;
    },
    push(chunk) {
      let buf = chunk;
      let from = 0;
      if (held.length > 0) {
        from = held.length;
        buf = new Uint8Array(held.length + chunk.length);
        buf.set(held);
        buf.set(chunk, held.length);
      }
      const out: Uint8Array[] = [];
      let start = 0;
      let nl = buf.indexOf(NEWLINE, from);
      while (nl !== -1) {
        if (nl > start) out.push(buf.subarray(start, nl));
        start = nl + 1;
        nl = buf.indexOf(NEWLINE, start);
      }
      if (buf.length - start > maxLineBytes) {
        throw new ModelwireError(`NDJSON line exceeds the ${maxLineBytes}-byte limit`, Code.ResourceExhausted);
      }
      held = start === buf.length ? new Uint8Array(0) : buf.slice(start);
      return out;
    },
  };
}
